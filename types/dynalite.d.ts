// Type declarations for dynalite, which ships none.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  /** Options dynalite accepts; see its README. */
  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }

  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
