/**
 * Written after each successful production build (`npm run build`, or `npm start` building what is
 * missing) with the public URL it was built for: `npm start` rebuilds only when this is missing,
 * names another URL, or is older than a source. (webpack leaves unchanged outputs alone, so the
 * outputs' own times would say "stale" forever after any source edit.) Its own module so that
 * `npm start` can check it without loading webpack.
 */
import path from "node:path";

export const BUILD_STAMP = path.join(__dirname, "..", "..", "dist", "addin", ".built-for");
