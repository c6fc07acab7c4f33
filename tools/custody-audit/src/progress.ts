/** Progress on long exports, on stderr, at most once per interval and every 1,000 entries (silent for short ones). */
export class Progress {
  private entries = 0;
  private byteCount = 0;
  private readonly started = Date.now();
  private last = Date.now();
  private shown = false;

  constructor(
    private readonly write?: (line: string) => void,
    private readonly intervalMs = 1000,
  ) {}

  bytes(n: number): void {
    this.byteCount += n;
  }

  entry(): void {
    this.entries += 1;
    if (this.write && this.entries % 1000 === 0) {
      const now = Date.now();
      if (now - this.last >= this.intervalMs) {
        this.last = now;
        this.shown = true;
        this.write(this.line(now));
      }
    }
  }

  done(): void {
    if (this.write && this.shown) {
      this.write(this.line(Date.now()));
    }
  }

  private line(now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = Math.round(this.entries / seconds);
    return `custody-audit: ${this.entries.toLocaleString('en-US')} entries verified (${(this.byteCount / 1e6).toFixed(1)} MB, ${rate.toLocaleString('en-US')}/s)`;
  }
}
