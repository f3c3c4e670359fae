// Pure text rules of the tablet app (no DOM, no network): searching without diacritics and
// merging two versions of a transcript.

// "Nguyễn Văn Đức" -> "nguyen van duc": lower case, no tone or vowel marks, đ -> d, one space.
export function fold(text) {
  return String(text ?? "").normalize("NFD").replace(/\p{M}/gu, "")
    .replace(/đ/g, "d").replace(/Đ/g, "d").toLowerCase().replace(/\s+/g, " ").trim();
}

// Does `text` contain `query`, both folded? An empty query matches everything.
export function matches(text, query) {
  const q = fold(query);
  return !q || fold(text).includes(q);
}

function paragraphs(text) {
  return String(text ?? "").split(/\n+/).map((p) => p.trim()).filter(Boolean);
}

const key = (p) => p.replace(/\s+/g, " ");

// "Keep both" after an edit conflict: every paragraph of both versions, each paragraph the two
// share only once, in the order of the texts (the server's version first where they differ).
// Paragraphs are lines; the longest common sequence of paragraphs is kept once.
export function mergeParagraphs(theirs, mine) {
  const a = paragraphs(theirs);
  const b = paragraphs(mine);
  const sep = /\n\s*\n/.test(`${theirs}\n${mine}`) ? "\n\n" : "\n";
  // lcs[i][j]: length of the longest common sequence of a[i..] and b[j..]
  const lcs = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = key(a[i]) === key(b[j]) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (key(a[i]) === key(b[j])) { out.push(a[i]); i++; j++; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push(a[i++]);
    else out.push(b[j++]);
  }
  out.push(...a.slice(i), ...b.slice(j));
  return out.join(sep);
}
