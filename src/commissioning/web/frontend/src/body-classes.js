// GOV.UK Frontend's body classes, set before the page paints (the template's inline snippet,
// moved to a file because the Content-Security-Policy forbids inline scripts).
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
