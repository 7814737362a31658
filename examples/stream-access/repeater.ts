/**
 * A repeater that holds no keys: Ironhouse's Proxy between an XSUB and an XPUB, i.e. an
 * unmodified XPUB/XSUB forwarder (messages down, subscriptions up). It filters on the clear
 * topic frame and never sees plaintext. A capture socket (the Proxy's `capture` option,
 * libzmq's third zmq_proxy argument) gets a copy of every forwarded frame: what an operator of
 * the repeater could record.
 */
import { Pair, Proxy, XPublisher, XSubscriber } from "../../src/index.js"

export interface Repeater {
  /** Where publishers (or an upstream repeater's XSUB) connect. */
  upstream: string
  /** Where subscribers (or a downstream repeater) connect. */
  downstream: string
  /** Every frame the repeater forwarded, either way (what an operator could capture). */
  captured: Buffer[]
  close(): Promise<void>
}

let repeaters = 0

export async function startRepeater(): Promise<Repeater> {
  const captureIn = new Pair()
  const captureOut = new Pair()
  const captureEndpoint = `inproc://stream-access-repeater-capture-${process.pid}-${repeaters++}`
  await captureIn.bind(captureEndpoint)
  captureOut.connect(captureEndpoint)
  const proxy = new Proxy(new XSubscriber(), new XPublisher(), { capture: captureOut })
  await proxy.frontEnd.bind("tcp://127.0.0.1:*")
  await proxy.backEnd.bind("tcp://127.0.0.1:*")
  const running = proxy.run()
  const captured: Buffer[] = []
  void (async () => {
    for await (const message of captureIn) captured.push(...message)
  })().catch(() => undefined)
  return {
    upstream: proxy.frontEnd.lastEndpoint as string,
    downstream: proxy.backEnd.lastEndpoint as string,
    captured,
    close: async () => {
      proxy.terminate()
      await running // closes the front and back end
      captureOut.close()
      captureIn.close()
    },
  }
}
