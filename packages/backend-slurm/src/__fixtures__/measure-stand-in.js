// Stands in for measure-call.js in memory-probe tests. argv[2] "print": prints a measurement and
// exits; "hold": takes ~60 MB and never ends (a call longer than the measuring limit).
if (process.argv[2] === 'print') {
  console.log(JSON.stringify({ maxRssKb: 1234, ms: 1 }));
} else {
  globalThis.held = Buffer.alloc(60e6, 1);
  setInterval(() => undefined, 1000);
}
