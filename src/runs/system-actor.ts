/** The actor Custos itself records for what no person or service did: gates, timers, expiry. */
export { SYSTEM_ACTOR as SYSTEM } from '../ledger/ledger.js';
