/**
 * A repeater that holds no keys: XSUB on one side, XPUB on the other, frames forwarded both
 * ways (messages down, subscriptions up), exactly what an unmodified XPUB/XSUB proxy does.
 * It filters on the clear topic frame and never sees plaintext.
 */
import { XPublisher, XSubscriber } from "../../src/index.js"

export interface Repeater {
  /** Where publishers (or an upstream repeater's XSUB) connect. */
  upstream: string
  /** Where subscribers (or a downstream repeater) connect. */
  downstream: string
  /** Bytes of data forwarded downstream (what an operator could capture). */
  captured: Buffer[]
  close(): void
}

export async function startRepeater(): Promise<Repeater> {
  const front = new XSubscriber()
  const back = new XPublisher()
  await front.bind("tcp://127.0.0.1:*")
  await back.bind("tcp://127.0.0.1:*")
  const captured: Buffer[] = []
  void (async () => {
    for await (const message of front) {
      captured.push(...message)
      await back.send(message)
    }
  })().catch(() => undefined)
  void (async () => {
    for await (const subscription of back) await front.send(subscription)
  })().catch(() => undefined)
  return {
    upstream: front.lastEndpoint as string,
    downstream: back.lastEndpoint as string,
    captured,
    close: () => {
      front.close()
      back.close()
    },
  }
}
