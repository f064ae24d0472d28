// `tasklog`, the operator's command line, starts here: V8's code cache on
// disk first (ADR 0050), then the commands, imported only now so that their
// modules are compiled through that cache.
import module from 'node:module';

module.enableCompileCache?.();
await import('./cli.main.js');
