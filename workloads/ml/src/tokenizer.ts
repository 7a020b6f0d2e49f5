// BERT WordPiece tokenization, as Hugging Face `tokenizers` does it for an uncased BERT tokenizer.json
// (BertNormalizer → BertPreTokenizer → WordPiece → [CLS] … [SEP]); a test compares the ids with the
// reference library's. Long text is split into several 512-token windows rather than refused.
import { readFileSync } from 'node:fs';

interface TokenizerJson {
  normalizer?: {
    type: string;
    clean_text?: boolean;
    handle_chinese_chars?: boolean;
    strip_accents?: boolean | null;
    lowercase?: boolean;
  };
  model: {
    type: string;
    vocab: Record<string, number>;
    unk_token: string;
    continuing_subword_prefix: string;
    max_input_chars_per_word: number;
  };
}

export const MAX_SEQUENCE = 512;

export class WordPieceTokenizer {
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  private readonly unkId: number;

  private constructor(
    private readonly vocab: Map<string, number>,
    private readonly options: {
      lowercase: boolean;
      stripAccents: boolean;
      cleanText: boolean;
      chineseChars: boolean;
      prefix: string;
      maxCharsPerWord: number;
      unk: string;
    },
  ) {
    const id = (t: string) => {
      const v = vocab.get(t);
      if (v === undefined) throw new Error(`tokenizer vocabulary lacks ${t}`);
      return v;
    };
    this.clsId = id('[CLS]');
    this.sepId = id('[SEP]');
    this.padId = id('[PAD]');
    this.unkId = id(options.unk);
  }

  static fromFile(path: string): WordPieceTokenizer {
    return WordPieceTokenizer.fromJson(JSON.parse(readFileSync(path, 'utf8')) as TokenizerJson);
  }

  static fromJson(json: TokenizerJson): WordPieceTokenizer {
    if (json.model.type !== 'WordPiece')
      throw new Error(`expected a WordPiece tokenizer, got ${json.model.type}`);
    const n = json.normalizer;
    const lowercase = n?.lowercase ?? true;
    return new WordPieceTokenizer(new Map(Object.entries(json.model.vocab)), {
      lowercase,
      // BertNormalizer: strip_accents null means "as lowercase".
      stripAccents: n?.strip_accents ?? lowercase,
      cleanText: n?.clean_text ?? true,
      chineseChars: n?.handle_chinese_chars ?? true,
      prefix: json.model.continuing_subword_prefix,
      maxCharsPerWord: json.model.max_input_chars_per_word,
      unk: json.model.unk_token,
    });
  }

  /** Word-piece ids of the text, without special tokens. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const word of this.preTokenize(this.normalize(text))) this.wordPiece(word, ids);
    return ids;
  }

  /**
   * The text as model inputs: [CLS] ids [SEP], split into windows of at most `max` tokens when longer,
   * so any length is accepted (the caller pools the windows).
   */
  encodeWindows(text: string, max = MAX_SEQUENCE): number[][] {
    const ids = this.encode(text);
    const body = max - 2;
    const windows: number[][] = [];
    for (let i = 0; i === 0 || i < ids.length; i += body) {
      windows.push([this.clsId, ...ids.slice(i, i + body), this.sepId]);
    }
    return windows;
  }

  private normalize(text: string): string {
    let out = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (this.options.cleanText) {
        if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
        if (isWhitespace(ch)) {
          out += ' ';
          continue;
        }
      }
      out += this.options.chineseChars && isChinese(cp) ? ` ${ch} ` : ch;
    }
    if (this.options.stripAccents) out = out.normalize('NFD').replace(/\p{Mn}/gu, '');
    if (this.options.lowercase) out = out.toLowerCase();
    return out;
  }

  private preTokenize(text: string): string[] {
    const words: string[] = [];
    let current = '';
    for (const ch of text) {
      if (isWhitespace(ch)) {
        if (current) words.push(current);
        current = '';
      } else if (isPunctuation(ch)) {
        if (current) words.push(current);
        words.push(ch);
        current = '';
      } else {
        current += ch;
      }
    }
    if (current) words.push(current);
    return words;
  }

  /** Greedy longest-match-first; a word with no full segmentation is one [UNK]. */
  private wordPiece(word: string, out: number[]): void {
    const chars = [...word];
    if (chars.length > this.options.maxCharsPerWord) {
      out.push(this.unkId);
      return;
    }
    const pieces: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? this.options.prefix : '') + chars.slice(start, end).join('');
        found = this.vocab.get(piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) {
        out.push(this.unkId);
        return;
      }
      pieces.push(found);
      start = end;
    }
    out.push(...pieces);
  }
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || /\p{Zs}/u.test(ch);
}

function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return /[\p{Cc}\p{Cf}]/u.test(ch);
}

function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return /\p{P}/u.test(ch);
}

function isChinese(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
