// Parses the AsyncAPI document on stdin with the reference parser (@asyncapi/parser) and prints
// what it found as JSON: {"parsed": bool, "diagnostics": [{severity, code, message, path}], "messages": [name]},
// the messages being every one the parsed document holds, as the parser resolved them.
// It exits 0 whatever the diagnostics say: judging them is the test's job.
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const SEVERITY = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'information',
  [DiagnosticSeverity.Hint]: 'hint',
};

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { document, diagnostics } = await new Parser().parse(Buffer.concat(chunks).toString('utf8'));
const found = diagnostics.map((d) => ({
  severity: SEVERITY[d.severity] ?? String(d.severity),
  code: d.code,
  message: d.message,
  path: d.path.join('/'),
}));
const messages = document ? document.allMessages().all().map((m) => m.name()) : [];
process.stdout.write(JSON.stringify({ parsed: document !== undefined, diagnostics: found, messages }, null, 1) + '\n');
