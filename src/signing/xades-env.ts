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
