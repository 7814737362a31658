/**
 * PUB-SUB: a publisher sends updates on topics; a subscriber receives only the prefixes it
 * subscribed to (the publisher filters, and so does the subscriber).
 *
 *   npm run build:test && node build/examples/patterns/pub-sub.js
 */
import { Publisher, Subscriber } from "../../src/index.js"

const publisher = new Publisher()
await publisher.bind("tcp://127.0.0.1:*")

const subscriber = new Subscriber()
subscriber.connect(publisher.lastEndpoint as string)
subscriber.subscribe("weather.")

// Subscriptions travel to the publisher asynchronously: until one arrives, publishing
// reaches nobody (the "slow joiner"). Publish until the subscriber hears something.
const receiving = (async () => {
  const seen: string[] = []
  for await (const [topic, body] of subscriber) {
    seen.push(`${String(topic)}: ${String(body)}`)
    if (String(body) === "last") break
  }
  return seen
})()

let published = 0
const ticker = setInterval(() => {
  void publisher.send(["sport.football", "2-1"])
  void publisher.send(["weather.paris", `${15 + (published++ % 5)} C`])
}, 10)
await new Promise((r) => setTimeout(r, 100))
clearInterval(ticker)
await publisher.send(["weather.paris", "last"])

for (const line of await receiving) console.log(`subscriber got ${line}`)
subscriber.close()
publisher.close()
