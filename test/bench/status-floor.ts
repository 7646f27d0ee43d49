/** The bench-only status-shaped floor's route (served by status-server.ts, loaded by status-api.ts). */
export const FLOOR_PATH = "/api/bench/status-floor";
