// The projector: applies the event log to the PostgreSQL read models,
// exactly once, and keeps the Redis cache honest.
import 'reflect-metadata';
import { projectorConfig } from './projector.config.js';
import { startProjector } from './projector.app.js';

const config = projectorConfig(process.env);
const projector = await startProjector(config, {
  // The consumer gave up (a non-retriable error): exit, so the supervisor
  // (npm run up, Kubernetes) starts a fresh process, which resumes from the
  // positions stored in PostgreSQL.
  onFatal: () => process.exit(1),
});
const stop = () => void projector.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
