/**
 * Coalesces redraws into one requestAnimationFrame: progress can arrive many times per frame, and each
 * chart's setData must run at most once per frame.
 */
export class FrameScheduler {
  private readonly pending = new Set<() => void>();
  private handle = 0;

  /** Runs `task` in the next frame; scheduling the same function twice before then runs it once. */
  schedule(task: () => void): void {
    this.pending.add(task);
    if (this.handle === 0) this.handle = requestAnimationFrame(() => this.run());
  }

  private run(): void {
    this.handle = 0;
    const tasks = [...this.pending];
    this.pending.clear();
    for (const task of tasks) task();
  }
}
