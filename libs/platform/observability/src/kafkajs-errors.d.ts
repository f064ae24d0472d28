// kafkajs' table of Kafka protocol errors, which it ships without types; only
// what logger.ts reads.
declare module 'kafkajs/src/protocol/error.js' {
  interface ProtocolError {
    readonly type: string;
    readonly code: number;
    readonly retriable: boolean;
    readonly message: string;
  }
  const errors: { readonly errorCodes: readonly ProtocolError[] };
  export default errors;
}
