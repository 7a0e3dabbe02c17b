/** The coordinator's state endpoint and live tree page; see {@link startStateServer}. */
export { startStateServer, type StateServer, type StateServerOptions } from './server.js';
