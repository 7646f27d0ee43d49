/**
 * Keeps a failure in one part of the pane (typically a lazy chunk that didn't download) from blanking
 * the whole pane: that part shows a message with Retry, the rest keeps working.
 */
import { Component, lazy, useCallback, useState, type ComponentType, type ReactNode } from "react";
import { Button, MessageBar, MessageBarActions, MessageBarBody, MessageBarTitle } from "@fluentui/react-components";

interface Props {
  children: ReactNode;
  /** Before the boundary renders its children again: e.g. make a fresh lazy component. */
  onRetry?: () => void;
}

export class ErrorBoundary extends Component<Props, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  private retry = () => {
    this.props.onRetry?.();
    this.setState({ failed: false });
  };

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <MessageBar intent="error" role="alert" layout="multiline">
        <MessageBarBody>
          <MessageBarTitle>This part of the pane couldn't load.</MessageBarTitle>
          Check your connection and try again.
        </MessageBarBody>
        <MessageBarActions>
          <Button onClick={this.retry}>Retry</Button>
        </MessageBarActions>
      </MessageBar>
    );
  }
}

/**
 * React.lazy that can be tried again. A lazy component remembers a failed import for good, so Retry
 * needs a new one; webpack forgets a chunk that failed to load, so the new import fetches it again.
 * `load` must be stable (defined at module level).
 */
export function useRetryableLazy<P extends object>(
  load: () => Promise<{ default: ComponentType<P> }>,
): [ComponentType<P>, () => void] {
  const [Lazy, setLazy] = useState(() => lazy(load));
  const reload = useCallback(() => setLazy(() => lazy(load)), [load]);
  return [Lazy, reload];
}
