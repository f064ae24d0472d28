// Errors of the contract edge. Both are permanent (retrying the same bytes
// cannot help): a consumer dead-letters the record, a producer has a bug.

export class ContractDecodingError extends Error {
  override readonly name: string = 'ContractDecodingError';
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ContractEncodingError extends Error {
  override readonly name = 'ContractEncodingError';
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Malformed or missing CloudEvents headers on a Kafka record. */
export class CloudEventHeaderError extends ContractDecodingError {
  override readonly name = 'CloudEventHeaderError';
}
