from server.domain.tracking import ALPHABET, petition_of, tracking_code

KEY = b"k" * 32


def test_a_code_names_its_petition_and_no_other():
    code = tracking_code(KEY, 127)
    number, letters = code.split("-")
    assert number == "127" and len(letters) == 4 and set(letters) <= set(ALPHABET)
    assert petition_of(KEY, code) == 127
    assert petition_of(KEY, code.lower().replace("-", " ")) == 127
    assert petition_of(KEY, f"128-{letters}") is None
    assert petition_of(b"x" * 32, code) is None
    for junk in ("", "abc", "127", "127-ABC", "99999999999-ABCD", "0-ABCD", "1٢3-ABCD"):
        assert petition_of(KEY, junk) is None
