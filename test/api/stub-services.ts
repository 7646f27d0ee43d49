/**
 * Stand-ins for the services an app always has (connections, sweeps, mail), for suites that test the
 * API without Microsoft 365: every action fails loudly, and the next sweep is the one stored on the
 * user's connection row. Suites that exercise a service pass the real one instead.
 */
import type { AppDeps } from "../../server/app";
import type { Db } from "../../server/db";
import { getConnection } from "../../server/store/mailbox-connections";

const unwired = (what: string) => async (): Promise<never> => {
  throw new Error(`${what} is not wired in this test`);
};

export function stubConnections(): AppDeps["connections"] {
  return {
    start: unwired("connections.start"),
    handleCallback: unwired("connections.handleCallback"),
    disconnect: unwired("connections.disconnect"),
  };
}

export function stubSweeps(db: Db): AppDeps["sweeps"] {
  return {
    sweepNow: unwired("sweeps.sweepNow"),
    requestSweep: unwired("sweeps.requestSweep"),
    recentSweeps: unwired("sweeps.recentSweeps"),
    captureMessage: unwired("sweeps.captureMessage"),
    async nextSweepAt(organizationId, userId) {
      const row = await getConnection(db, organizationId, userId);
      return row?.status === "active" && row.nextSweepAt ? new Date(row.nextSweepAt) : null;
    },
  };
}

export function stubMail(): AppDeps["mail"] {
  return { send: unwired("mail.send") };
}

export function stubServices(db: Db): Pick<AppDeps, "connections" | "sweeps" | "mail"> {
  return { connections: stubConnections(), sweeps: stubSweeps(db), mail: stubMail() };
}
