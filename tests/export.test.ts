import { describe, expect, test } from "bun:test";
import { EXPORT_COLUMNS, exportContentType, exportFileName, exportStream } from "../src/modules/transactions/export";
import type { Tx } from "../src/modules/transactions/model";

const HEADER = "id,createdAt,type,direction,asset,amount,fee,status,counterparty,reference,note\r\n";

function txRow(overrides: Partial<Tx> = {}): Tx {
  return {
    id: "tx_1",
    createdAt: "2026-11-25T10:00:00.000Z",
    type: "transfer_out",
    direction: "out",
    asset: "BTC",
    amount: "0.015",
    fee: "0",
    status: "completed",
    counterparty: "bob@example.com",
    reference: "ref_1",
    note: "lunch",
    ...overrides,
  };
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

function exportText(format: "csv" | "json", rows: Tx[]): Promise<string> {
  return new Response(exportStream(format, from(rows))).text();
}

/** The CSV data lines (header dropped) of an export of one row. */
async function csvOf(row: Tx): Promise<string> {
  const text = await exportText("csv", [row]);
  expect(text.startsWith(HEADER)).toBe(true);
  return text.slice(HEADER.length);
}

describe("CSV", () => {
  test("a header with the columns in API order, then one CRLF-terminated line per row", async () => {
    const text = await exportText("csv", [txRow(), txRow({ id: "tx_2", direction: "in", type: "transfer_in" })]);
    expect(text).toBe(
      `${HEADER}tx_1,2026-11-25T10:00:00.000Z,transfer_out,out,BTC,0.015,0,completed,bob@example.com,ref_1,lunch\r\n` +
        "tx_2,2026-11-25T10:00:00.000Z,transfer_in,in,BTC,0.015,0,completed,bob@example.com,ref_1,lunch\r\n",
    );
  });

  test("an empty history is the header alone", async () => {
    expect(await exportText("csv", [])).toBe(HEADER);
  });

  test("cells follow the column order whatever the row's key order, and extra fields stay out", async () => {
    const reversed = Object.fromEntries(Object.entries(txRow()).reverse()) as Tx;
    const withExtra = { ...reversed, userId: "usr_secret" };
    expect(await csvOf(withExtra)).toBe(
      "tx_1,2026-11-25T10:00:00.000Z,transfer_out,out,BTC,0.015,0,completed,bob@example.com,ref_1,lunch\r\n",
    );
  });

  test("nulls are empty cells", async () => {
    expect(await csvOf(txRow({ counterparty: null, reference: null, note: null }))).toBe(
      "tx_1,2026-11-25T10:00:00.000Z,transfer_out,out,BTC,0.015,0,completed,,,\r\n",
    );
  });

  test.each([
    ["a comma", "rent, May", '"rent, May"'],
    ["a quote", 'the "big" one', '"the ""big"" one"'],
    ["a line feed", "line 1\nline 2", '"line 1\nline 2"'],
    ["a carriage return", "line 1\rline 2", '"line 1\rline 2"'],
    ["a CRLF", "line 1\r\nline 2", '"line 1\r\nline 2"'],
    ["nothing special", "plain words", "plain words"],
    ["non-ASCII", "café ☕ 東京", "café ☕ 東京"],
  ])("a note with %s is quoted per RFC 4180 only when needed", async (_, note, cell) => {
    expect(await csvOf(txRow({ note }))).toBe(
      `tx_1,2026-11-25T10:00:00.000Z,transfer_out,out,BTC,0.015,0,completed,bob@example.com,ref_1,${cell}\r\n`,
    );
  });

  test.each([
    ["=", '=HYPERLINK("http://evil")', '"\'=HYPERLINK(""http://evil"")"'],
    ["+", "+1+1", "'+1+1"],
    ["-", "-2+3", "'-2+3"],
    ["@", "@SUM(A1:A2)", "'@SUM(A1:A2)"],
    ["tab", "\t=1", "'\t=1"],
    ["CR", "\r=1", '"\'\r=1"'],
    ["full-width =", "＝1+1", "'＝1+1"],
  ])("a note starting with %s is prefixed with '", async (_, note, cell) => {
    expect(await csvOf(txRow({ note }))).toEndWith(`,ref_1,${cell}\r\n`);
  });

  test.each(["1+1", "a=1", " =1", "'quoted", "#1", "%1", "(1)", "0.5", "", "😀"])(
    "a note starting with a safe character is left alone: %p",
    async (note) => {
      expect(await csvOf(txRow({ note }))).toEndWith(`,ref_1,${note}\r\n`);
    },
  );

  test.each(EXPORT_COLUMNS)("the guard covers the %s column too", async (column) => {
    const cells = (await csvOf(txRow({ [column]: "=1+1" }))).replace(/\r\n$/, "").split(",");
    expect(cells[EXPORT_COLUMNS.indexOf(column)]).toBe("'=1+1");
  });
});

describe("JSON", () => {
  test("an empty history is an empty array", async () => {
    const text = await exportText("json", []);
    expect(text).toBe("[]\n");
    expect(JSON.parse(text)).toEqual([]);
  });

  test("one object per line, keys in column order, nulls as null", async () => {
    const rows = [
      txRow(),
      txRow({ id: "tx_2", counterparty: null, reference: null, note: null, rejectionReason: "Source of funds not shown." }),
    ];
    const text = await exportText("json", rows);
    // A rejection's reason is no export column (API.md fixes them): each row as the API shows it, less that.
    expect(JSON.parse(text)).toEqual(rows.map(({ rejectionReason: _notExported, ...exported }) => exported));
    const lines = text.split("\n");
    expect(lines).toHaveLength(5);
    expect([lines[0], lines[3], lines[4]]).toEqual(["[", "]", ""]);
    expect(lines[1]).toEndWith("},");
    expect(Object.keys(JSON.parse(lines[1].slice(0, -1)))).toEqual([...EXPORT_COLUMNS]);
    expect(lines[2]).toBe(
      '{"id":"tx_2","createdAt":"2026-11-25T10:00:00.000Z","type":"transfer_out","direction":"out","asset":"BTC",' +
        '"amount":"0.015","fee":"0","status":"completed","counterparty":null,"reference":null,"note":null}',
    );
  });

  test("values are data, not spreadsheet cells: no formula prefix, escaping by JSON", async () => {
    const note = '=1+1, "quoted"\nnext line ☕';
    expect(JSON.parse(await exportText("json", [txRow({ note })]))[0].note).toBe(note);
  });

  test("extra fields of a row stay out", async () => {
    const [exported] = JSON.parse(await exportText("json", [{ ...txRow(), userId: "usr_secret" } as Tx]));
    expect(Object.keys(exported)).toEqual([...EXPORT_COLUMNS]);
  });
});

describe("streaming", () => {
  const ROWS = 100_000;

  /** A long history that records how far it has been read and whether it was closed. */
  function history() {
    const state = { produced: 0, closed: false };
    async function* rows(): AsyncGenerator<Tx> {
      try {
        for (let i = 0; i < ROWS; i++) {
          state.produced++;
          yield txRow({ id: `tx_${i}` });
        }
      } finally {
        state.closed = true;
      }
    }
    return { state, rows: rows() };
  }

  test.each(["csv", "json"] as const)(
    "the whole %s export of 100,000 rows streams through",
    async (format) => {
      const { state, rows } = history();
      const text = await new Response(exportStream(format, rows)).text();
      if (format === "csv")
        expect(text.split("\r\n")).toHaveLength(ROWS + 2); // the header, the rows, "" after the last CRLF
      else expect(JSON.parse(text)).toHaveLength(ROWS);
      expect(state).toEqual({ produced: ROWS, closed: true });
    },
    30_000,
  ); // about 1.5 s alone; a loaded 2-core machine took over the default 5 s

  test("reads a row only when the consumer asks for one", async () => {
    const { state, rows } = history();
    const reader = exportStream("csv", rows).getReader();
    expect(state.produced).toBe(0);
    const header = await reader.read();
    expect(new TextDecoder().decode(header.value)).toBe(HEADER);
    expect(state.produced).toBe(0);
    for (let read = 1; read <= 100; read++) {
      const chunk = await reader.read();
      expect(new TextDecoder().decode(chunk.value)).toStartWith(`tx_${read - 1},`);
      // Give a read-ahead the chance to happen before checking that it did not.
      await Bun.sleep(0);
      expect(state.produced).toBe(read);
    }
  });

  test("cancelling the stream stops the source and runs its finally block", async () => {
    const { state, rows } = history();
    const reader = exportStream("json", rows).getReader();
    for (let i = 0; i < 11; i++) await reader.read();
    await reader.cancel("client went away");
    expect(state).toEqual({ produced: 10, closed: true });
  });

  test("an error in the source errors the stream instead of ending it like a complete file", async () => {
    async function* failing(): AsyncGenerator<Tx> {
      yield txRow();
      throw new Error("connection lost");
    }
    await expect(new Response(exportStream("json", failing())).text()).rejects.toThrow("connection lost");
  });
});

describe("file name and content type", () => {
  test("named after the UTC day of the export", () => {
    expect(exportFileName("csv", new Date("2026-11-25T12:00:00Z"))).toBe("cryptovault-history-2026-11-25.csv");
    expect(exportFileName("json", new Date("2026-11-25T23:30:00-05:00"))).toBe("cryptovault-history-2026-11-26.json");
  });

  test("content types", () => {
    expect(exportContentType("csv")).toBe("text/csv; charset=utf-8");
    expect(exportContentType("json")).toBe("application/json;charset=utf-8");
  });
});
