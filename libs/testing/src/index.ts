// Test helpers shared by every app and lib (the infra global setup of the
// int/e2e tiers lives next to this file and is loaded by jest directly).
import { taskDecider } from '@tasklog/domain';
import { deciderSpecification } from './decider.specification.js';

export { deciderSpecification, type DeciderOutcome, type DeciderSpecification } from './decider.specification.js';

/** given/when/then over the Task decider. */
export const { given } = deciderSpecification(taskDecider);
export * from './task.fixtures.js';
export * from './task.arbitraries.js';
