// COPY … FROM STDIN through a `pg` client, for the rebuild's bulk load
// (ADR 0027): rows go as COPY text format, encoded here, in one message
// stream. `pg` runs any object with a `submit(connection)` method as a query
// (its documented "submittable" interface, the one pg-cursor builds on) and
// hands it the server's CopyInResponse; a dependency for those few lines is
// not worth it.

/** A `pg` client as far as COPY needs it: it accepts submittables. */
interface SubmittingClient {
  query(submittable: CopyFromQuery): unknown;
}

interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyFromQuery {
  private error: Error | null = null;
  private rowCount = 0;
  private settled = false;

  constructor(
    readonly text: string,
    private readonly data: readonly string[],
    private readonly done: (error: Error | null, rowCount: number) => void,
  ) {}

  submit(connection: PgConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: PgConnection): void {
    for (const piece of this.data) connection.sendCopyFromChunk(Buffer.from(piece, 'utf8'));
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    const match = /^COPY (\d+)/.exec(message.text ?? '');
    if (match) this.rowCount = Number(match[1]);
  }

  handleError(error: Error): void {
    this.error ??= error;
    // A broken connection sends no ReadyForQuery: settle now.
    this.settle();
  }

  handleReadyForQuery(): void {
    this.settle();
  }

  // The rest of the submittable interface: nothing comes back from a COPY FROM.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.done(this.error, this.rowCount);
  }
}

/**
 * Runs `copy <table> (<columns>) from stdin` with `pieces` of COPY text (whole
 * lines, each ending in \n; one CopyData message each); returns the row count.
 */
export function copyRows(
  client: unknown,
  table: string,
  columns: readonly string[],
  pieces: readonly string[],
): Promise<number> {
  const data = pieces.filter((piece) => piece.length > 0);
  if (data.length === 0) return Promise.resolve(0);
  return new Promise<number>((resolve, reject) => {
    const query = new CopyFromQuery(`copy ${table} (${columns.join(', ')}) from stdin`, data, (error, count) =>
      error ? reject(error) : resolve(count),
    );
    (client as SubmittingClient).query(query);
  });
}

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One field in COPY text format: \N for null, backslash escapes for the delimiters. */
export function copyField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}

/** A text[] value as an array literal (then escaped as a field like any other text). */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
