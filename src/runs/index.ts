export { RunEngine, type RunEngineDeps } from './engine.js';
export type { Run, PlannedStep } from './run-model.js';
export type { DeliveredSecret, Executed } from './run-execute.js';
export type { FileRequest } from './run-engine.js';
export {
  RUN_STATES,
  RUN_EVENTS,
  TERMINAL_STATES,
  nextState,
  type RunState,
  type RunEvent,
} from './state-machine.js';
