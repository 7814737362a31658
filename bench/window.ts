/**
 * A measuring window for the scaling rows (issue 13 item 6): receivers count what they get, the
 * window opens once every receiver is live (so connection set-up is not measured) and closes
 * `durationMs` later; the rate is the messages counted inside it per second, summed over all
 * receivers. Senders run until killed, so the window never sees their start or end.
 */
export class CountWindow {
  /** Messages received so far, all receivers together. */
  total = 0
  #live = 0
  #opened: (() => void) | undefined
  readonly #whenOpen: Promise<void>

  constructor(readonly receivers: number) {
    this.#whenOpen = new Promise((resolve) => (this.#opened = resolve))
  }

  /** One receiver got its first message. */
  markLive(): void {
    if (++this.#live === this.receivers) this.#opened?.()
  }

  /**
   * Count what one receiver gets, in the background until the process exits: it is live at its
   * first message. `receive` is the socket's receive(), awaited once per message.
   */
  follow(receive: () => Promise<unknown>): void {
    void (async () => {
      await receive()
      this.total++
      this.markLive()
      for (;;) {
        await receive()
        this.total++
      }
    })().catch(() => {}) // the process exits right after the result, closing nothing
  }

  /** Wait until every receiver is live, count for `durationMs`, return msg/s and the count. */
  async measure(durationMs: number): Promise<{ messages: number; seconds: number; msgPerSec: number }> {
    await this.#whenOpen
    const start = performance.now()
    const before = this.total
    await new Promise((resolve) => setTimeout(resolve, durationMs))
    const messages = this.total - before
    const seconds = (performance.now() - start) / 1000
    return { messages, seconds, msgPerSec: messages / seconds }
  }
}
