/**
 * Turns off TurboFan's inlining of JS-to-Wasm calls, before the first Cedar call can be optimised.
 *
 * Why: on Node 20.20 (V8 11.3), when optimised code that has inlined the call into Cedar's wasm
 * export (`statefulIsAuthorized`, which takes and returns an externref) is deoptimised lazily while
 * that call is on the stack, V8 aborts the whole process ("Fatal error … unreachable code" in
 * `Deoptimizer::DoComputeBuiltinContinuation`). `npm run bench:runs -- --inflight 96` hit it on three
 * runs out of three (the trace showed the lazy deopt of `decide`); with this flag, none. The cost is
 * one ordinary (not inlined) JS-to-Wasm call per decision.
 *
 * The flag is read when a function is optimised, so setting it while modules load is in time.
 */
import v8 from 'node:v8';

v8.setFlagsFromString('--no-turbo-inline-js-wasm-calls');
