/** nutguard's version, for every -V banner (a module of its own: main.ts prints it without loading the client). */
export const NUTGUARD_VERSION = "0.1.0";
