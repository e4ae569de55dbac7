// The shell's version: sent with every push and pull, shown on the sync screen. sw.js carries the
// same value in its cache name (a test checks that they agree).
export const APP_VERSION = '0.1.0';
