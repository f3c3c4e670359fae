// Live captions, shared by the hall's screen, the phone's "Theo dõi" page, the secretary's
// view and the moderator's tablet. The server sends `captions:line` (a partial or a final
// line, numbered by `seq`) and `captions:state`; the `join` reply carries both for a start
// (docs/realtime.md). This module keeps the lines of the turn being captioned and draws them;
// it opens no socket and imports nothing, so the screen, the phone and the tablet load it alike.

/** A line as the server sends it, or null when it is not one. */
function asLine(raw) {
  if (!raw || typeof raw !== "object") return null;
  const seq = Number(raw.seq);
  if (!Number.isInteger(seq) || seq < 1 || typeof raw.text !== "string") return null;
  return { seq, turnId: raw.turn_id == null ? null : String(raw.turn_id), final: raw.final === true, text: raw.text };
}

/**
 * The lines of one turn: a partial replaces the previous partial of its `seq`, a final closes
 * that `seq` (a partial arriving after it is ignored); a line of another turn starts again,
 * unless it is an older turn's line arriving late.
 */
export class CaptionLines {
  constructor(keep = 6) {
    this.keep = keep;
    this.turnId = null;
    this.lines = []; // [{seq, turnId, final, text}], by seq
    this.state = null; // the last captions:state
  }

  /** A full start again: the `captions` part of a join reply, or GET …/captions. */
  reset(snapshot) {
    this.lines = [];
    this.turnId = null;
    this.state = snapshot && snapshot.state && typeof snapshot.state === "object" ? snapshot.state : null;
    if (this.state && this.state.turn_id) this.turnId = String(this.state.turn_id);
    for (const line of (snapshot && Array.isArray(snapshot.lines) ? snapshot.lines : [])) this.add(line);
  }

  /** A captions:state; the lines go when they may no longer be shown or the turn changed. */
  setState(state) {
    if (!state || typeof state !== "object") return;
    this.state = state;
    const turn = state.turn_id == null ? null : String(state.turn_id);
    if (turn && turn !== this.turnId) { this.turnId = turn; this.lines = []; }
  }

  /** A captions:line; true when what is shown changed. */
  add(raw) {
    const line = asLine(raw);
    if (!line) return false;
    if (line.turnId !== this.turnId) {
      if (this.lines.length && line.seq < this.lines[0].seq) return false; // an older turn, late
      this.turnId = line.turnId;
      this.lines = [];
    }
    const i = this.lines.findIndex((l) => l.seq === line.seq);
    if (i >= 0) {
      const had = this.lines[i];
      if (had.final && !line.final) return false; // the sentence is already closed
      if (had.final === line.final && had.text === line.text) return false;
      this.lines[i] = line;
      return true;
    }
    if (this.lines.length >= this.keep && line.seq < this.lines[0].seq) return false;
    this.lines.push(line);
    this.lines.sort((a, b) => a.seq - b.seq);
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
    return true;
  }

  /** A captions:line on a public page: kept only while the server says the hall may see it. */
  addPublic(raw) {
    if (this.state && this.state.public === false) return false;
    return this.add(raw);
  }

  clear() { this.lines = []; }

  /** The last `n` lines of `turnId` (the turn on the floor), oldest first. */
  last(n, turnId) {
    if (turnId != null && String(turnId) !== this.turnId) return [];
    return this.lines.slice(-n);
  }

  /** All the text of the turn, finals then the partial: what the secretary follows. */
  text(turnId) {
    return this.last(this.keep, turnId).map((l) => l.text).join(" ");
  }

  /**
   * What a public page (the hall's screen, the phone) may show for the turn on the floor:
   * nothing unless the server says the captions are public now and the turn is not hidden.
   * `reserve` is true while the turn is being captioned, so the place stays the same size.
   */
  forPublic(n, turnId) {
    const s = this.state;
    if (!turnId || (s && (s.public === false || String(s.hidden_turn_id) === String(turnId)))) {
      return { lines: [], reserve: false };
    }
    const lines = this.last(n, turnId);
    const reserve = lines.length > 0 || !!(s && s.public === true && String(s.turn_id) === String(turnId));
    return { lines, reserve };
  }
}

/** Draws `lines` into `el`: one paragraph each, a partial one in a lighter tone. */
export function drawLines(el, lines) {
  const shown = [...el.children];
  const same = shown.length === lines.length && lines.every((l, i) => shown[i].dataset.seq === String(l.seq));
  if (!same) {
    el.replaceChildren(...lines.map((l) => {
      const p = document.createElement("p");
      p.dataset.seq = String(l.seq);
      return p;
    }));
  }
  lines.forEach((l, i) => {
    const p = el.children[i];
    p.className = l.final ? "cap-line cap-final" : "cap-line cap-partial";
    if (p.textContent !== l.text) p.textContent = l.text;
  });
}
