/**
 * "Has TLS produced everything it will produce for this input?"
 *
 * Node's TLSSocket runs OpenSSL synchronously on the main thread, but moves bytes between
 * OpenSSL and a JS Duplex through nextTick and setImmediate hops (JSStreamSocket). No thread
 * pool work is involved, so once a few event-loop turns pass with no change of a progress
 * counter (bytes fed, bytes written, plaintext read, handshake events), and no application
 * callback we wait for is pending, nothing more can come from this input. Counting expected
 * records instead would tie us to one TLS version's flights; counting activity does not.
 */
const QUIET_TURNS = 3

export interface ActivitySource {
  /** Increases with every input, output, plaintext or handshake event. */
  readonly activity: number
  /** Application work (respond() promises) still running for this input, else undefined. */
  pending(): Promise<unknown> | undefined
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Resolves once `source` shows no activity for QUIET_TURNS consecutive setImmediate turns. */
export async function settle(source: ActivitySource): Promise<void> {
  let quiet = 0
  let last = source.activity
  while (quiet < QUIET_TURNS) {
    const work = source.pending()
    if (work !== undefined) {
      await work.catch(() => undefined)
      quiet = 0
      continue
    }
    await turn()
    if (source.activity !== last) {
      last = source.activity
      quiet = 0
    } else {
      quiet++
    }
  }
}
