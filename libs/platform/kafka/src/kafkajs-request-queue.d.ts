// kafkajs' internal request queue (one per broker connection), which it ships
// without types; only what kafkajs.patch.ts touches.
declare module 'kafkajs/src/network/requestQueue/index.js' {
  interface RequestQueue {
    pending: unknown[];
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    scheduleCheckPendingRequests(): void;
    checkPendingRequests(): void;
  }
  const RequestQueue: { prototype: RequestQueue };
  export default RequestQueue;
}
