"""Writes test/fixtures/tokenizer-reference.json: ids from Hugging Face `tokenizers` (pip install tokenizers)
for tricky texts and a sample of the training snippets, so the TypeScript WordPiece is checked against the
reference implementation. Usage: python3 scripts/reference-tokens.py <tokenizer.json> <vader-data-dir>"""
import json, sys, pathlib
from tokenizers import Tokenizer

tok = Tokenizer.from_file(sys.argv[1])
tricky = [
    "", "   ", "Hello, WORLD!", "Héllo — the café’s naïve résumé costs $4.99", "東京タワー is tall",
    "don't stop believin'", "e-mail: a.b@c.de", "tab\there\nnew line\r\n", "\u0000nul\ufffd and \u200bzero-width",
    "ÅÄÖ åäö ßẞ", "Ｆｕｌｌｗｉｄｔｈ ｌｅｔｔｅｒｓ", "emoji 😀👍🏽 ok", "supercalifragilisticexpialidocious",
    "x" * 150, "numbers 12,345.67 and 1e-9", "URL https://example.com/a?b=c#d", "¡¿Qué?!", "Ελληνικά και русский",
    "#hashtag @mention :-) ;-(", "multiple   spaces\u00a0nbsp", "ǅ ǈ ǋ title-case digraphs",
]
snippets = []
for f in sorted(pathlib.Path(sys.argv[2]).glob("*_GroundTruth.txt")):
    lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
    snippets += [l.split("\t", 2)[2] for l in lines[:: max(1, len(lines) // 15)][:15] if l.count("\t") >= 2]
cases = [{"text": t, "ids": tok.encode(t, add_special_tokens=False).ids} for t in tricky + snippets]
out = pathlib.Path(__file__).parent.parent / "test" / "fixtures" / "tokenizer-reference.json"
out.write_text(json.dumps(cases, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
print(f"{len(cases)} cases -> {out}")
