// Int and e2e tests talk to real services: a group join or a broker round
// trip can take seconds, so their per-test timeout is a minute, not 5 s.
import { jest } from '@jest/globals';

jest.setTimeout(90_000);
