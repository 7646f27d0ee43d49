/** Who is asking, for sharing levels (shared/sharing): a person by their user id, or an application. */
import type { Viewer } from "../../shared/sharing";
import type { AppContext } from "./context";

export function viewerOf(c: AppContext): Viewer {
  return c.get("caller").kind === "app" ? { kind: "app" } : { kind: "user", userId: c.get("userId") };
}
