// The atproto reference stack for tests: PLC, a PDS and the Bluesky AppView (@atproto/dev-env).
//
// Needs DB_POSTGRES_URL and REDIS_HOST (the AppView's own requirements). Seeds a few accounts
// and posts through the real PDS, lets the AppView index them, prints one JSON line
//   {"appview": URL, "dids": {name: did}, "posts": [{name, did, rkey, cid, record}], "liked": uri}
// and runs until its standard input closes.
const { TestNetwork } = require('@atproto/dev-env')

function tagged(text, tag) {
  const at = Buffer.byteLength(text.slice(0, text.indexOf(tag)))
  return [{ index: { byteStart: at, byteEnd: at + Buffer.byteLength(tag) },
            features: [{ $type: 'app.bsky.richtext.facet#tag', tag: tag.slice(1) }] }]
}

async function main() {
  const network = await TestNetwork.create({ dbPostgresSchema: process.env.DB_POSTGRES_SCHEMA || "backchannel_tests" })
  const sc = network.getSeedClient()
  const names = ['ada', 'quiet', 'spicy', 'fan']
  for (const name of names) {
    await sc.createAccount(name, { email: `${name}@test.com`, handle: `${name}.test`, password: 'pw-' + name })
  }
  await sc.createProfile(sc.dids.ada, 'Ada Lovelace', 'Speaker')
  await sc.createProfile(sc.dids.quiet, 'Quiet', 'Logged-in viewers only', ['!no-unauthenticated'])
  const seeds = [
    ['ada', 'Great keynote on indexes #PyCon', {}],
    ['quiet', 'Notes for logged-in readers #PyCon', {}],
    ['spicy', 'Not safe for work #PyCon', { labels: { $type: 'com.atproto.label.defs#selfLabels', values: [{ val: 'porn' }] } }],
  ]
  const posts = []
  for (const [name, text, overrides] of seeds) {
    const post = await sc.post(sc.dids[name], text, tagged(text, '#PyCon'), undefined, undefined, overrides)
    posts.push({ name, uri: post.ref.uriStr })
  }
  await sc.like(sc.dids.fan, sc.posts[sc.dids.ada][0].ref)
  await network.processAll()
  for (const post of posts) {  // the record exactly as the PDS stores it, as Jetstream would send it
    const [, , did, , rkey] = post.uri.split('/')
    const url = `${network.pds.url}/xrpc/com.atproto.repo.getRecord?repo=${did}&collection=app.bsky.feed.post&rkey=${rkey}`
    const got = await (await fetch(url)).json()
    Object.assign(post, { did, rkey, cid: got.cid, record: got.value })
  }
  process.stdout.write(JSON.stringify({ appview: network.bsky.url, dids: sc.dids, posts, liked: posts[0].uri }) + '\n')
  process.stdin.resume()
  process.stdin.on('end', async () => {
    await network.close()
    process.exit(0)
  })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
