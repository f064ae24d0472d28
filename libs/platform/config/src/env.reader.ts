export type EnvSource = Readonly<Record<string, string | undefined>>;

/** One environment variable: its name, default and parser. */
export interface Field<T> {
  readonly name: string;
  readonly parse: (raw: string | undefined) => T;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

class FieldError extends Error {}

const fail = (message: string): never => {
  throw new FieldError(message);
};

function intField(name: string, fallback: number, opts: { min?: number; max?: number } = {}): Field<number> {
  return {
    name,
    parse(raw) {
      const value = raw === undefined || raw === '' ? fallback : Number(raw);
      if (!Number.isInteger(value)) fail(`${name} must be an integer, got "${raw}"`);
      if (opts.min !== undefined && value < opts.min) fail(`${name} must be ≥ ${opts.min}, got ${value}`);
      if (opts.max !== undefined && value > opts.max) fail(`${name} must be ≤ ${opts.max}, got ${value}`);
      return value;
    },
  };
}

function stringField(name: string, fallback?: string): Field<string> {
  return {
    name,
    parse(raw) {
      const value = raw === undefined || raw === '' ? fallback : raw;
      return value ?? fail(`${name} is required`);
    },
  };
}

function optionalField(name: string): Field<string | undefined> {
  return { name, parse: (raw) => (raw === undefined || raw === '' ? undefined : raw) };
}

function boolField(name: string, fallback: boolean): Field<boolean> {
  return {
    name,
    parse(raw) {
      if (raw === undefined || raw === '') return fallback;
      if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
      if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
      return fail(`${name} must be a boolean, got "${raw}"`);
    },
  };
}

function listField(name: string, fallback: readonly string[]): Field<string[]> {
  return {
    name,
    parse(raw) {
      const items = raw === undefined || raw === '' ? [...fallback] : raw.split(',').map((s) => s.trim());
      return items.filter((s) => s.length > 0);
    },
  };
}

function oneOfField<T extends string>(name: string, values: readonly T[], fallback: T): Field<T> {
  return {
    name,
    parse(raw) {
      const value = raw === undefined || raw === '' ? fallback : raw;
      return (values as readonly string[]).includes(value)
        ? (value as T)
        : fail(`${name} must be one of ${values.join(', ')}, got "${value}"`);
    },
  };
}

export const env = {
  int: intField,
  string: stringField,
  optional: optionalField,
  bool: boolField,
  list: listField,
  oneOf: oneOfField,
};

type Schema = Record<string, Field<unknown>>;
type Parsed<S extends Schema> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** Parses every field of the schema; throws one ConfigError naming all problems. */
export function readConfig<S extends Schema>(schema: S, source: EnvSource): Parsed<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema)) {
    try {
      out[key] = field.parse(source[field.name]);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as Parsed<S>;
}
