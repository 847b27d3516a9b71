export { parseConfig, redactUrl, type Config, type ConfigInput } from './config.js';
