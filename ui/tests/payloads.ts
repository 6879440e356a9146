// Script-injection payloads, each of which sets `window.__pwned` (or opens a dialog) if it ever
// runs. The tests feed them through import and the sandbox into every field the UI renders.

const SET = 'window.__pwned=1';

export const PAYLOADS: string[] = [
  `<script>${SET}</script>`,
  `<script src="data:text/javascript,${SET}"></script>`,
  `<img src=x onerror="${SET}">`,
  `<img src="javascript:${SET}">`,
  `<svg onload="${SET}">`,
  `<svg><script>${SET}</script></svg>`,
  `<body onload="${SET}">`,
  `<iframe src="javascript:${SET}"></iframe>`,
  `<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>`,
  `<object data="javascript:${SET}"></object>`,
  `<embed src="javascript:${SET}">`,
  `<a href="javascript:${SET}">click</a>`,
  `javascript:${SET}`,
  `JaVaScRiPt:${SET}`,
  `data:text/html,<script>${SET}</script>`,
  `"><script>${SET}</script>`,
  `'><img src=x onerror=${SET}>`,
  `</textarea><script>${SET}</script>`,
  `</title><script>${SET}</script>`,
  `<details open ontoggle="${SET}">`,
  `<input autofocus onfocus="${SET}">`,
  `<select autofocus onfocus="${SET}"></select>`,
  `<video><source onerror="${SET}"></video>`,
  `<audio src=x onerror="${SET}">`,
  `<marquee onstart="${SET}">x</marquee>`,
  `<div style="background:url(javascript:${SET})">`,
  `<style>@import "javascript:${SET}";</style>`,
  `<link rel=import href="data:text/html,<script>${SET}</script>">`,
  `<meta http-equiv="refresh" content="0;url=javascript:${SET}">`,
  `<form action="javascript:${SET}"><button>go</button></form>`,
  `<math><mtext><img src=x onerror="${SET}"></mtext></math>`,
  `<template><script>${SET}</script></template>`,
  `<noscript><p title="</noscript><img src=x onerror=${SET}>">`,
  `<scr<script>ipt>${SET}</scr</script>ipt>`,
  `%3Cscript%3E${SET}%3C/script%3E`,
  `&lt;script&gt;${SET}&lt;/script&gt;`,
  `\\u003cscript\\u003e${SET}\\u003c/script\\u003e`,
  `{@html '<img src=x onerror=${SET}>'}`,
  `{{constructor.constructor('${SET}')()}}`,
  `\${${SET}}`,
  `<img src=x onerror=alert(1)>`,
  `<svg/onload=alert(document.domain)>`,
  `<script>alert('xss')</script>`,
  `<img src=x onerror=confirm(1)>`,
  `<img src=x onerror=prompt(1)>`,
  `<a href="https://acme.test" onclick="${SET}">https://acme.test</a>`,
  `https://acme.test/"onmouseover="${SET}`,
  `https://acme.test/<script>${SET}</script>`,
  `<base href="javascript:${SET}//">`,
  `<isindex action="javascript:${SET}" type=image>`,
  `<keygen autofocus onfocus="${SET}">`,
  `\u202e<script>${SET}</script>`,
  `\u0000<script>${SET}</script>`,
  `\u001b]0;pwned\u0007<script>${SET}</script>`,
];

/** Interchange records that put every payload in every rendered field: the customer's name,
 * the subject, the message text, an attachment's name and link. */
export function payloadJsonl(): string {
  const lines: string[] = [];
  PAYLOADS.forEach((p, i) => {
    const handle = String(9000 + i);
    lines.push(JSON.stringify({ kind: 'contact', id: `ct_xss_${i}`, name: p, identities: [{ account: 'x:xss_probe', handle, name: p }] }));
    lines.push(JSON.stringify({ kind: 'conversation', account: 'x:xss_probe', id: handle, customer: `ct_xss_${i}`, subject: p, tags: [`t${i}`] }));
    lines.push(
      JSON.stringify({
        kind: 'message',
        account: 'x:xss_probe',
        conversation: handle,
        id: `xss_${i}`,
        direction: 'in',
        author: { kind: 'customer', name: p, handle },
        text: `${p} see https://acme.test/${i} ${p}`,
        at: new Date(Date.now() - i * 60_000).toISOString(),
        attachments: [{ kind: 'file', name: p, mime: 'text/html', url: p }],
      }),
    );
  });
  return lines.join('\n') + '\n';
}
