/**
 * The XML stack xadesjs runs on, set up in one place for sealing and validation: its DOM, XPath
 * and WebCrypto (xadesReady), and the strict parser every document is read with (parseXml).
 */
import { webcrypto } from 'node:crypto';
import { DOMImplementation, DOMParser, XMLSerializer } from '@xmldom/xmldom';
import * as xpath from 'xpath';
import * as xadesjs from 'xadesjs';

let ready = false;

/** Gives xadesjs its DOM, XPath and WebCrypto once per process (sealing and validation share it). */
export function xadesReady(): void {
  if (ready) return;
  xadesjs.setNodeDependencies({ DOMParser, XMLSerializer, DOMImplementation, xpath });
  xadesjs.Application.setEngine('NodeJS', webcrypto as unknown as Crypto);
  ready = true;
}

/**
 * Parses XML strictly enough to reject what is not XML (xmldom is lenient by default: its errors
 * become exceptions here). Sealing and validation read documents through this one parser.
 */
export function parseXml(xml: Buffer): Document {
  xadesReady();
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level: string, msg: string) => {
      if (level !== 'warning') errors.push(msg);
    },
  }).parseFromString(xml.toString('utf8').replace(/^\uFEFF/, ''), 'application/xml') as unknown as Document;
  if (errors.length || !doc || !doc.documentElement) throw new Error(`not well-formed XML: ${errors[0] ?? 'no root element'}`);
  return doc;
}
