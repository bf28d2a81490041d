import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface FileLine {
  /** 1-based, counting blank lines too, so it matches what an editor shows. */
  lineNumber: number;
  text: string;
  /** Bytes this line took in the file, its line break included (for progress). */
  bytes: number;
  blank: boolean;
}

/** Streams a file line by line: a file of any size is read in constant memory. */
export async function* readLines(file: string): AsyncGenerator<FileLine> {
  const input = createReadStream(file, { encoding: 'utf8' });
  // crlfDelay: Infinity reads a \r\n as one line break, so Windows-edited files load the same.
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber += 1;
      // An editor's byte-order mark is not part of the first event.
      const text = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      yield { lineNumber, text, bytes: Buffer.byteLength(raw, 'utf8') + 1, blank: text.trim() === '' };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}
