/**
 * The history export (`POST /api/transactions/export`) as CSV or JSON. It streams: rows come from the
 * database a page at a time, the next page only once the client has taken the rows before it, so a long
 * history never sits in memory and a slow client slows the database reads instead of filling a buffer.
 */
import { stringify } from "csv-stringify/sync";
import { JSON_CONTENT_TYPE } from "../../platform/http/body";
import type { Tx } from "./model";

export type ExportFormat = "csv" | "json";

/** API.md fixes these columns and their order, for CSV and JSON alike. */
export const EXPORT_COLUMNS = [
  "id",
  "createdAt",
  "type",
  "direction",
  "asset",
  "amount",
  "fee",
  "status",
  "counterparty",
  "reference",
  "note",
] as const satisfies readonly (keyof Tx)[];

const CSV_OPTIONS = {
  // RFC 4180 ends records with CRLF.
  record_delimiter: "windows",
  // Without this, setting record_delimiter stops csv-stringify quoting a lone "\n" or "\r" in a note,
  // and a spreadsheet would split that row in two.
  quote_record_delimiter: true,
  // A cell starting with =, +, -, @, tab or CR (or their full-width forms, which some spreadsheets
  // normalize) gets a leading ' so a spreadsheet shows it as text instead of running it as a formula.
  escape_formulas: true,
} as const;

/** One CSV record; null is an empty cell. */
function csvRecord(cells: readonly (string | null)[]): string {
  return stringify([cells], CSV_OPTIONS);
}

/** The text before the rows, of each row and after the rows; `index` counts rows from 0. */
type ExportWriter = {
  head: string;
  row: (row: Tx, index: number) => string;
  tail: (rowCount: number) => string;
};

const WRITERS: Record<ExportFormat, ExportWriter> = {
  csv: {
    head: csvRecord(EXPORT_COLUMNS),
    row: (row) => csvRecord(EXPORT_COLUMNS.map((column) => row[column])),
    tail: () => "",
  },
  json: {
    // One array, one row per line; still a valid document ("[]") when there are no rows.
    head: "[",
    // Rebuilt column by column so the key order is fixed and nothing else of the row leaks out.
    row: (row, index) =>
      (index === 0 ? "\n" : ",\n") + JSON.stringify(Object.fromEntries(EXPORT_COLUMNS.map((column) => [column, row[column]]))),
    tail: (rowCount) => (rowCount === 0 ? "]\n" : "\n]\n"),
  },
};

/**
 * The export file as a byte stream. A high-water mark of 0 means nothing is read ahead: each pull by the
 * consumer takes exactly one row from `rows`. Cancelling the stream (the client went away) returns the
 * iterator, so the source's `finally` runs and it reads no further page. An error from
 * `rows` errors the stream, so a failed export never ends like a complete one. `onEnd` is called once,
 * however the stream ends: complete, failed or cancelled.
 */
export function exportStream(
  format: ExportFormat,
  rows: AsyncIterable<Tx>,
  onEnd: () => void = () => {},
): ReadableStream<Uint8Array> {
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  const writer = WRITERS[format];
  const encoder = new TextEncoder();
  const iterator = rows[Symbol.asyncIterator]();
  let headWritten = false;
  let rowCount = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!headWritten) {
          headWritten = true;
          controller.enqueue(encoder.encode(writer.head));
          return;
        }
        let next: IteratorResult<Tx>;
        try {
          next = await iterator.next();
        } catch (error) {
          end();
          throw error;
        }
        if (next.done) {
          const tail = writer.tail(rowCount);
          if (tail) controller.enqueue(encoder.encode(tail));
          controller.close();
          end();
          return;
        }
        controller.enqueue(encoder.encode(writer.row(next.value, rowCount)));
        rowCount++;
      },
      async cancel() {
        end();
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** The download's name, dated by the UTC day of `now`: `cryptovault-history-2026-11-25.csv`. */
export function exportFileName(format: ExportFormat, now: Date): string {
  return `cryptovault-history-${now.toISOString().slice(0, 10)}.${format}`;
}

export function exportContentType(format: ExportFormat): string {
  return format === "csv" ? "text/csv; charset=utf-8" : JSON_CONTENT_TYPE;
}
