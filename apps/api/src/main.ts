// The API process starts here: V8's code cache on disk first (ADR 0050), then the
// app, imported only now so that its modules are compiled through that cache.
import module from 'node:module';

module.enableCompileCache?.();
await import('./api.main.js');
// Written now that it has started: a long-running process may never exit cleanly.
module.flushCompileCache?.();
