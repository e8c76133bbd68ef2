/*
 * An independent verifier for the simulator's seals, built only from Debian's packages and the JDK:
 * PDFBox (PDF revisions, ByteRanges, DSS), Bouncy Castle (CMS signatures, time-stamps, CRLs, OCSP)
 * and javax.xml.crypto.dsig (XAdES). Nothing here comes from the simulator.
 *
 *   java -cp <pdfbox2, fontbox2, commons-logging, bcprov, bcpkix, bcutil, .> SealCheck --ca ca.pem SPEC...
 *
 * SPEC is KIND:FILE[:DATA] with KIND one of
 *   pdf, pdf-lt, pdf-lta      every signature and document time-stamp of a PDF, per revision
 *   cms, cms-lt               a .p7m (content inside) or a .p7s (DATA: the signed file)
 *   xades, xades-lt           every ds:Signature of an XML file (DATA: the file of a detached signature)
 * The -lt kinds also require the embedded validation data (chain, CRL or OCSP) to show the signer's
 * and the TSA's certificates not revoked; pdf-lta also requires a document time-stamp covering the DSS.
 *
 * With --crl-url URL and/or --ocsp-url URL, every signer and TSA certificate is also checked
 * against the CRL and the OCSP responder served there (fetched over HTTP, signatures verified).
 *
 * Prints one line per SPEC: "OK <file> <details>" or "FAIL <file>: <reason>", and exits 1 if any failed.
 */
import java.io.ByteArrayInputStream;
import java.io.File;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.Key;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.xml.crypto.AlgorithmMethod;
import javax.xml.crypto.Data;
import javax.xml.crypto.KeySelector;
import javax.xml.crypto.KeySelectorException;
import javax.xml.crypto.KeySelectorResult;
import javax.xml.crypto.OctetStreamData;
import javax.xml.crypto.URIDereferencer;
import javax.xml.crypto.URIReference;
import javax.xml.crypto.XMLCryptoContext;
import javax.xml.crypto.dsig.CanonicalizationMethod;
import javax.xml.crypto.dsig.DigestMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignatureMethod;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMSignContext;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.spec.C14NMethodParameterSpec;
import javax.xml.crypto.dsig.spec.TransformParameterSpec;
import javax.xml.parsers.DocumentBuilderFactory;

import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSObject;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ocsp.OCSPResponse;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.IssuerSerial;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.util.Store;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public class SealCheck {
    static final String DS = "http://www.w3.org/2000/09/xmldsig#";
    static final String XADES = "http://uri.etsi.org/01903/v1.3.2#";
    static X509Certificate ca;
    static String crlUrl, ocspUrl;
    static X509CRL servedCrl;
    static int servedChecks;
    static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();
    static final JcaX509CertificateConverter CONV = new JcaX509CertificateConverter().setProvider("BC");

    static class Fail extends Exception {
        Fail(String m) { super(m); }
    }

    static void require(boolean ok, String why) throws Fail {
        if (!ok) throw new Fail(why);
    }

    /** Revocation data gathered from a signature or DSS: certificates, CRLs, OCSP responses. */
    static class Evidence {
        List<X509Certificate> certs = new ArrayList<>();
        List<X509CRL> crls = new ArrayList<>();
        List<BasicOCSPResp> ocsps = new ArrayList<>();
    }

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        int failed = 0;
        List<String> specs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--ca")) ca = readCert(Files.readAllBytes(new File(args[++i]).toPath()));
            else if (args[i].equals("--crl-url")) crlUrl = args[++i];
            else if (args[i].equals("--ocsp-url")) ocspUrl = args[++i];
            else specs.add(args[i]);
        }
        if (ca == null) throw new IllegalArgumentException("--ca ca.pem is required");
        for (String spec : specs) {
            String[] p = spec.split(":", 3);
            String kind = p[0], file = p[1], data = p.length > 2 ? p[2] : null;
            try {
                servedChecks = 0;
                byte[] bytes = Files.readAllBytes(new File(file).toPath());
                byte[] content = data == null ? null : Files.readAllBytes(new File(data).toPath());
                String details;
                switch (kind) {
                    case "pdf": case "pdf-lt": case "pdf-lta": details = checkPdf(bytes, kind); break;
                    case "cms": case "cms-lt": details = checkCms(bytes, content, kind.endsWith("-lt")); break;
                    case "xades": case "xades-lt": details = checkXades(bytes, content, kind.endsWith("-lt")); break;
                    default: throw new Fail("unknown kind " + kind);
                }
                if (crlUrl != null || ocspUrl != null) details += " served-revocation-checks=" + servedChecks;
                System.out.println("OK " + file + " " + details);
            } catch (Fail e) {
                failed++;
                System.out.println("FAIL " + file + ": " + e.getMessage());
            } catch (Exception e) {
                failed++;
                System.out.println("FAIL " + file + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    static X509Certificate readCert(byte[] b) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(b));
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /** The certificate is issued by the test CA (signature and name) and valid at `at`. */
    static void chainsToCa(X509Certificate c, Date at, String who) throws Fail {
        try {
            c.verify(ca.getPublicKey());
        } catch (Exception e) {
            throw new Fail(who + " certificate is not issued by the test CA (" + c.getSubjectX500Principal() + ")");
        }
        require(c.getIssuerX500Principal().equals(ca.getSubjectX500Principal()), who + " certificate names another issuer");
        try {
            c.checkValidity(at);
        } catch (Exception e) {
            throw new Fail(who + " certificate is not valid at " + at.toInstant() + ": " + e.getMessage());
        }
        if (crlUrl != null || ocspUrl != null) {
            try {
                servedRevocation(c, who);
            } catch (Fail f) {
                throw f;
            } catch (Exception e) {
                throw new Fail(who + ": served revocation data could not be checked: " + e);
            }
        }
    }

    static byte[] http(String url, byte[] post, String type) throws Exception {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url));
        if (post != null) b.POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(post)).header("Content-Type", type);
        java.net.http.HttpResponse<byte[]> r = HTTP.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        require(r.statusCode() == 200, url + " answered HTTP " + r.statusCode());
        return r.body();
    }

    /** The CRL and OCSP responder the simulator serves say `c` is not revoked. */
    static void servedRevocation(X509Certificate c, String who) throws Exception {
        if (crlUrl != null) {
            if (servedCrl == null) {
                servedCrl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(http(crlUrl, null, null)));
                try {
                    servedCrl.verify(ca.getPublicKey());
                } catch (Exception e) {
                    throw new Fail("the served CRL is not signed by the test CA");
                }
            }
            require(!servedCrl.isRevoked(c), who + " certificate is revoked according to the served CRL");
            servedChecks++;
        }
        if (ocspUrl != null) {
            org.bouncycastle.operator.DigestCalculatorProvider dcp = new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().setProvider("BC").build();
            org.bouncycastle.cert.ocsp.CertificateID id = new org.bouncycastle.cert.ocsp.CertificateID(dcp.get(org.bouncycastle.cert.ocsp.CertificateID.HASH_SHA1),
                    new org.bouncycastle.cert.jcajce.JcaX509CertificateHolder(ca), c.getSerialNumber());
            byte[] req = new org.bouncycastle.cert.ocsp.OCSPReqBuilder().addRequest(id).build().getEncoded();
            OCSPResp resp = new OCSPResp(http(ocspUrl, req, "application/ocsp-request"));
            require(resp.getStatus() == OCSPResp.SUCCESSFUL, "the OCSP responder answered status " + resp.getStatus());
            BasicOCSPResp b = (BasicOCSPResp) resp.getResponseObject();
            X509CertificateHolder[] rc = b.getCerts();
            X509Certificate responder = rc != null && rc.length > 0 ? CONV.getCertificate(rc[0]) : ca;
            if (!responder.equals(ca)) {
                responder.verify(ca.getPublicKey());
                require(responder.getExtendedKeyUsage() != null && responder.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.9"), "the OCSP responder certificate lacks id-kp-OCSPSigning");
            }
            require(b.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider("BC").build(responder.getPublicKey())), "the OCSP response signature does not verify");
            boolean seen = false;
            for (SingleResp s : b.getResponses()) {
                if (!s.getCertID().getSerialNumber().equals(c.getSerialNumber())) continue;
                seen = true;
                require(s.getCertStatus() == null, who + " certificate is " + (s.getCertStatus() instanceof org.bouncycastle.cert.ocsp.RevokedStatus ? "revoked" : "unknown") + " according to the OCSP responder");
            }
            require(seen, "the OCSP response does not answer for the " + who + " certificate");
            servedChecks++;
        }
    }

    // ---------------------------------------------------------------- CMS (CAdES, PAdES contents)

    /** Verifies every SignerInfo (digest + signature), the chain, and the signature time-stamp. Returns signers' certificates. */
    static List<X509Certificate> verifySignedData(CMSSignedData sd, boolean requireTimestamp, StringBuilder info) throws Exception {
        List<X509Certificate> signers = new ArrayList<>();
        Store<X509CertificateHolder> store = sd.getCertificates();
        Collection<SignerInformation> sis = sd.getSignerInfos().getSigners();
        require(!sis.isEmpty(), "no SignerInfo");
        for (SignerInformation si : sis) {
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> m = store.getMatches(si.getSID());
            require(!m.isEmpty(), "the signer's certificate is not in the SignedData");
            X509CertificateHolder h = m.iterator().next();
            boolean ok;
            try {
                ok = si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(h));
            } catch (Exception e) {
                throw new Fail("signature does not verify: " + e.getMessage());
            }
            require(ok, "signature does not verify");
            X509Certificate cert = CONV.getCertificate(h);
            Date at = new Date();
            Attribute st = si.getSignedAttributes() == null ? null : si.getSignedAttributes().get(PKCSObjectIdentifiers.pkcs_9_at_signingTime);
            if (st != null) at = org.bouncycastle.asn1.cms.Time.getInstance(st.getAttrValues().getObjectAt(0)).getDate();
            Attribute scv2 = si.getSignedAttributes() == null ? null : si.getSignedAttributes().get(PKCSObjectIdentifiers.id_aa_signingCertificateV2);
            require(scv2 != null, "no signing-certificate-v2 attribute");
            ESSCertIDv2 id = org.bouncycastle.asn1.ess.SigningCertificateV2.getInstance(scv2.getAttrValues().getObjectAt(0)).getCerts()[0];
            require(Arrays.equals(id.getCertHash(), sha256(cert.getEncoded())), "signing-certificate-v2 does not name the signer's certificate");
            Attribute ts = si.getUnsignedAttributes() == null ? null : si.getUnsignedAttributes().get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken);
            if (ts != null) {
                TimeStampToken tst = new TimeStampToken(ContentInfo.getInstance(ts.getAttrValues().getObjectAt(0)));
                verifyTimeStamp(tst, sha256(si.getSignature()), "signature time-stamp");
                at = tst.getTimeStampInfo().getGenTime();
                info.append(" ts=").append(at.toInstant());
            } else require(!requireTimestamp, "no signature time-stamp");
            chainsToCa(cert, at, "signer");
            signers.add(cert);
        }
        return signers;
    }

    static X509Certificate verifyTimeStamp(TimeStampToken tst, byte[] expectedImprint, String what) throws Exception {
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> m = tst.getCertificates().getMatches(tst.getSID());
        require(!m.isEmpty(), what + ": the TSA certificate is not in the token");
        X509CertificateHolder h = m.iterator().next();
        try {
            tst.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(h));
        } catch (Exception e) {
            throw new Fail(what + " does not verify: " + e.getMessage());
        }
        require(Arrays.equals(tst.getTimeStampInfo().getMessageImprintDigest(), expectedImprint), what + ": message imprint does not match");
        X509Certificate tsa = CONV.getCertificate(h);
        chainsToCa(tsa, tst.getTimeStampInfo().getGenTime(), what + " TSA");
        return tsa;
    }

    static TimeStampToken signatureTimeStamp(CMSSignedData sd) throws Exception {
        SignerInformation si = sd.getSignerInfos().getSigners().iterator().next();
        Attribute ts = si.getUnsignedAttributes() == null ? null : si.getUnsignedAttributes().get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken);
        return ts == null ? null : new TimeStampToken(ContentInfo.getInstance(ts.getAttrValues().getObjectAt(0)));
    }

    /** The CRL or an OCSP response, signed by the CA (or its delegated responder), says `c` is not revoked. */
    static String notRevoked(X509Certificate c, Evidence ev, String who) throws Exception {
        List<String> seen = new ArrayList<>();
        for (X509CRL crl : ev.crls) {
            try {
                crl.verify(ca.getPublicKey());
            } catch (Exception e) {
                throw new Fail("embedded CRL is not signed by the test CA");
            }
            require(crl.getIssuerX500Principal().equals(c.getIssuerX500Principal()), "embedded CRL is from another issuer");
            require(!crl.isRevoked(c), who + " certificate is revoked according to the embedded CRL");
            require(crl.getNextUpdate() == null || crl.getNextUpdate().after(new Date()), "embedded CRL is out of date");
            seen.add("crl");
        }
        for (BasicOCSPResp r : ev.ocsps) {
            for (SingleResp s : r.getResponses()) {
                if (!s.getCertID().getSerialNumber().equals(c.getSerialNumber())) continue;
                X509CertificateHolder[] rc = r.getCerts();
                X509Certificate signer = rc != null && rc.length > 0 ? CONV.getCertificate(rc[0]) : ca;
                if (signer != ca) chainsToCa(signer, r.getProducedAt(), "OCSP responder");
                require(r.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider("BC").build(signer.getPublicKey())), "embedded OCSP response signature does not verify");
                require(s.getCertStatus() == null, who + " certificate is not 'good' in the embedded OCSP response");
                seen.add("ocsp");
            }
        }
        require(!seen.isEmpty(), "no embedded CRL or OCSP response covers the " + who + " certificate");
        return who + ":" + String.join("+", seen);
    }

    static String checkCms(byte[] bytes, byte[] content, boolean lt) throws Exception {
        CMSSignedData sd = content == null ? new CMSSignedData(bytes) : new CMSSignedData(new CMSProcessableByteArray(content), bytes);
        if (content == null) require(sd.getSignedContent() != null, "a .p7m without content needs its data file");
        StringBuilder info = new StringBuilder();
        List<X509Certificate> signers = verifySignedData(sd, lt, info);
        if (lt) {
            Evidence ev = new Evidence();
            for (Object o : sd.getCertificates().getMatches(null)) ev.certs.add(CONV.getCertificate((X509CertificateHolder) o));
            for (Object o : sd.getCRLs().getMatches(null))
                ev.crls.add((X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(((org.bouncycastle.cert.X509CRLHolder) o).getEncoded())));
            for (Object o : sd.getOtherRevocationInfo(CMSObjectIdentifiers.id_ri_ocsp_response).getMatches(null))
                ev.ocsps.add((BasicOCSPResp) new OCSPResp(OCSPResponse.getInstance(o)).getResponseObject());
            info.append(" lt=").append(ltChecks(ev, signers.get(0), signatureTimeStamp(sd)));
        }
        return "cms signers=" + signers.size() + info;
    }

    /** B-LT: the chain is embedded, and the signer and TSA certificates are shown not revoked. */
    static String ltChecks(Evidence ev, X509Certificate signer, TimeStampToken tst) throws Exception {
        require(ev.certs.stream().anyMatch(c -> c.equals(ca)), "the CA certificate is not embedded");
        require(ev.certs.stream().anyMatch(c -> c.equals(signer)), "the signer certificate is not embedded");
        String s = notRevoked(signer, ev, "signer");
        if (tst != null) {
            @SuppressWarnings("unchecked")
            X509Certificate tsa = CONV.getCertificate((X509CertificateHolder) tst.getCertificates().getMatches(tst.getSID()).iterator().next());
            require(ev.certs.stream().anyMatch(c -> c.equals(tsa)), "the TSA certificate is not embedded");
            s += "," + notRevoked(tsa, ev, "tsa");
        }
        return s;
    }

    // ---------------------------------------------------------------- PDF

    static String checkPdf(byte[] bytes, String kind) throws Exception {
        StringBuilder info = new StringBuilder();
        try (PDDocument doc = PDDocument.load(bytes)) {
            List<PDSignature> sigs = new ArrayList<>(doc.getSignatureDictionaries());
            require(!sigs.isEmpty(), "no signature dictionaries");
            sigs.sort((a, b) -> Integer.compare(a.getByteRange()[2] + a.getByteRange()[3], b.getByteRange()[2] + b.getByteRange()[3]));
            int coveredEnd = 0;
            X509Certificate lastSigner = null;
            TimeStampToken lastTs = null;
            int docTs = 0, cades = 0;
            int lastSigEnd = 0, docTsEnd = 0;
            for (int i = 0; i < sigs.size(); i++) {
                PDSignature s = sigs.get(i);
                int[] br = s.getByteRange();
                String who = "signature #" + (i + 1);
                require(br.length == 4 && br[0] == 0 && br[1] > 0 && br[2] > br[1] && (long) br[2] + br[3] <= bytes.length, who + ": ByteRange is malformed");
                require(bytes[br[1]] == '<' && bytes[br[2] - 1] == '>', who + ": ByteRange does not point at the /Contents hex string (file rewritten after signing)");
                int end = br[2] + br[3];
                // Each signed revision ends with %%EOF (and an end-of-line) exactly where its ByteRange ends.
                String tail = new String(bytes, Math.max(0, end - 8), Math.min(8, end), StandardCharsets.ISO_8859_1);
                require(tail.contains("%%EOF"), who + ": its ByteRange does not end at a revision's %%EOF");
                byte[] signed = s.getSignedContent(bytes);
                byte[] contents = s.getContents(bytes);
                String sub = s.getSubFilter();
                if ("ETSI.RFC3161".equals(sub)) {
                    TimeStampToken tst = new TimeStampToken(new CMSSignedData(contents));
                    verifyTimeStamp(tst, sha256(signed), who + " (document time-stamp)");
                    docTs++;
                    docTsEnd = end;
                } else {
                    require("ETSI.CAdES.detached".equals(sub) || "adbe.pkcs7.detached".equals(sub), who + ": unexpected /SubFilter " + sub);
                    CMSSignedData sd = new CMSSignedData(new CMSProcessableByteArray(signed), contents);
                    StringBuilder si = new StringBuilder();
                    List<X509Certificate> signers = verifySignedData(sd, !kind.equals("pdf"), si);
                    lastSigner = signers.get(0);
                    lastTs = signatureTimeStamp(sd);
                    cades++;
                    lastSigEnd = end;
                }
                require(end > coveredEnd, who + ": covers no more than the signature before it");
                coveredEnd = end;
            }
            info.append("revisions-signed=").append(sigs.size()).append(" cades=").append(cades).append(" doc-ts=").append(docTs);
            // What follows the last signature may only be later revisions (DSS, document time-stamp), never loose bytes.
            info.append(" covers-file=").append(coveredEnd == bytes.length);
            if (coveredEnd != bytes.length) {
                String rest = new String(bytes, coveredEnd, bytes.length - coveredEnd, StandardCharsets.ISO_8859_1).trim();
                require(rest.endsWith("%%EOF"), "bytes after the last signed revision are not an incremental update");
            }
            if (!kind.equals("pdf")) {
                COSDictionary dss = doc.getDocumentCatalog().getCOSObject().getCOSDictionary(COSName.getPDFName("DSS"));
                require(dss != null, "no DSS dictionary in the catalog");
                Evidence ev = new Evidence();
                for (byte[] b : streams(dss, "Certs")) ev.certs.add(readCert(b));
                for (byte[] b : streams(dss, "CRLs")) ev.crls.add((X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(b)));
                for (byte[] b : streams(dss, "OCSPs")) ev.ocsps.add((BasicOCSPResp) new OCSPResp(b).getResponseObject());
                info.append(" dss-certs=").append(ev.certs.size()).append(" dss-crls=").append(ev.crls.size()).append(" dss-ocsps=").append(ev.ocsps.size());
                info.append(" lt=").append(ltChecks(ev, lastSigner, lastTs));
                if (kind.equals("pdf-lta")) {
                    require(docTs > 0, "no document time-stamp (ETSI.RFC3161)");
                    require(docTsEnd > lastSigEnd, "the document time-stamp does not follow the signature");
                }
            }
        }
        return "pdf " + info;
    }

    static List<byte[]> streams(COSDictionary dss, String key) throws Exception {
        List<byte[]> out = new ArrayList<>();
        COSBase a = dss.getDictionaryObject(COSName.getPDFName(key));
        if (!(a instanceof COSArray)) return out;
        for (COSBase e : (COSArray) a) {
            COSBase o = e instanceof COSObject ? ((COSObject) e).getObject() : e;
            if (o instanceof COSStream) {
                try (java.io.InputStream in = ((COSStream) o).createInputStream()) {
                    out.add(in.readAllBytes());
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- XAdES

    static String checkXades(byte[] bytes, byte[] content, boolean lt) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        Document doc = dbf.newDocumentBuilder().parse(new ByteArrayInputStream(bytes));
        NodeList all = doc.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (e.hasAttribute("Id")) e.setIdAttribute("Id", true);
        }
        NodeList sigs = doc.getElementsByTagNameNS(DS, "Signature");
        require(sigs.getLength() > 0, "no ds:Signature");
        XMLSignatureFactory fac = XMLSignatureFactory.getInstance("DOM");
        StringBuilder info = new StringBuilder();
        for (int n = 0; n < sigs.getLength(); n++) {
            Element sigEl = (Element) sigs.item(n);
            List<X509Certificate> keyInfoCerts = new ArrayList<>();
            NodeList xc = sigEl.getElementsByTagNameNS(DS, "X509Certificate");
            for (int i = 0; i < xc.getLength(); i++) keyInfoCerts.add(readCert(Base64.getMimeDecoder().decode(xc.item(i).getTextContent())));
            require(!keyInfoCerts.isEmpty(), "no certificate in KeyInfo");
            X509Certificate signer = keyInfoCerts.get(0);
            DOMValidateContext ctx = new DOMValidateContext(KeySelector.singletonKeySelector(signer.getPublicKey()), sigEl);
            URIDereferencer dflt = fac.getURIDereferencer();
            ctx.setURIDereferencer(new URIDereferencer() {
                public Data dereference(URIReference ref, XMLCryptoContext c) throws javax.xml.crypto.URIReferenceException {
                    String u = ref.getURI();
                    if (u == null || u.isEmpty() || u.startsWith("#")) return dflt.dereference(ref, c);
                    if (content == null) throw new javax.xml.crypto.URIReferenceException("detached reference " + u + " but no data file given");
                    return new OctetStreamData(new ByteArrayInputStream(content));
                }
            });
            XMLSignature sig = fac.unmarshalXMLSignature(ctx);
            boolean valid = sig.validate(ctx);
            if (!valid) {
                StringBuilder why = new StringBuilder("XML signature does not verify:");
                why.append(" signature value ").append(sig.getSignatureValue().validate(ctx) ? "ok" : "BAD");
                for (Object r : sig.getSignedInfo().getReferences())
                    why.append("; reference ").append(((Reference) r).getURI()).append(((Reference) r).validate(ctx) ? " ok" : " BAD");
                throw new Fail(why.toString());
            }
            // XAdES signed properties: a SignedProperties reference, SigningCertificateV2 naming the signer, DataObjectFormat per data reference.
            Element sp = first(sigEl, XADES, "SignedProperties");
            require(sp != null, "no xades:SignedProperties");
            boolean spReferenced = false;
            List<Reference> dataRefs = new ArrayList<>();
            for (Object r : sig.getSignedInfo().getReferences()) {
                Reference ref = (Reference) r;
                if ("http://uri.etsi.org/01903#SignedProperties".equals(ref.getType())) spReferenced |= ("#" + sp.getAttribute("Id")).equals(ref.getURI());
                else dataRefs.add(ref);
            }
            require(spReferenced, "SignedProperties is not covered by a signed reference");
            Element scv2 = first(sp, XADES, "SigningCertificateV2");
            require(scv2 != null, "no xades:SigningCertificateV2");
            String dv = first(scv2, DS, "DigestValue").getTextContent().trim();
            require(Arrays.equals(Base64.getMimeDecoder().decode(dv), sha256(signer.getEncoded())), "SigningCertificateV2 digest does not name the signer's certificate");
            Element isv2 = first(scv2, XADES, "IssuerSerialV2");
            require(isv2 != null, "no xades:IssuerSerialV2");
            IssuerSerial is = IssuerSerial.getInstance(ASN1Primitive.fromByteArray(Base64.getMimeDecoder().decode(isv2.getTextContent().trim())));
            require(is.getSerial().getValue().equals(signer.getSerialNumber()), "IssuerSerialV2 serial is not the signer's");
            GeneralName gn = is.getIssuer().getNames()[0];
            require(Arrays.equals(gn.getName().toASN1Primitive().getEncoded(), signer.getIssuerX500Principal().getEncoded()), "IssuerSerialV2 issuer is not the signer's issuer");
            NodeList dofs = sp.getElementsByTagNameNS(XADES, "DataObjectFormat");
            for (Reference ref : dataRefs) {
                require(ref.getId() != null, "data reference " + ref.getURI() + " has no Id");
                boolean found = false;
                for (int i = 0; i < dofs.getLength(); i++) {
                    Element d = (Element) dofs.item(i);
                    if (d.getAttribute("ObjectReference").equals("#" + ref.getId())) {
                        Element mt = first(d, XADES, "MimeType");
                        require(mt != null && !mt.getTextContent().trim().isEmpty(), "DataObjectFormat for " + ref.getId() + " has no MimeType");
                        found = true;
                    }
                }
                require(found, "no DataObjectFormat refers to data reference #" + ref.getId());
            }
            Date at = new Date();
            Element stEl = first(sp, XADES, "SigningTime");
            if (stEl != null) at = Date.from(java.time.Instant.parse(stEl.getTextContent().trim()));
            // SignatureTimeStamp: imprint is sha256(exc-c14n(ds:SignatureValue)), computed by the JDK's own
            // canonicaliser through a throw-away signature that references the SignatureValue.
            Element tsEl = first(sigEl, XADES, "SignatureTimeStamp");
            TimeStampToken tst = null;
            if (tsEl != null) {
                Element ets = first(tsEl, XADES, "EncapsulatedTimeStamp");
                tst = new TimeStampToken(new CMSSignedData(Base64.getMimeDecoder().decode(ets.getTextContent())));
                Element sv = first(sigEl, DS, "SignatureValue");
                verifyTimeStamp(tst, digestOfElement(fac, doc, sv), "signature time-stamp");
                at = tst.getTimeStampInfo().getGenTime();
                info.append(" ts=").append(at.toInstant());
            } else require(!lt, "no SignatureTimeStamp");
            chainsToCa(signer, at, "signer");
            if (lt) {
                Evidence ev = new Evidence();
                ev.certs.addAll(keyInfoCerts);
                NodeList cv = sigEl.getElementsByTagNameNS(XADES, "EncapsulatedX509Certificate");
                for (int i = 0; i < cv.getLength(); i++) ev.certs.add(readCert(Base64.getMimeDecoder().decode(cv.item(i).getTextContent())));
                NodeList crls = sigEl.getElementsByTagNameNS(XADES, "EncapsulatedCRLValue");
                for (int i = 0; i < crls.getLength(); i++)
                    ev.crls.add((X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(Base64.getMimeDecoder().decode(crls.item(i).getTextContent()))));
                NodeList ocsps = sigEl.getElementsByTagNameNS(XADES, "EncapsulatedOCSPValue");
                for (int i = 0; i < ocsps.getLength(); i++)
                    ev.ocsps.add((BasicOCSPResp) new OCSPResp(Base64.getMimeDecoder().decode(ocsps.item(i).getTextContent())).getResponseObject());
                require(cv.getLength() > 0, "no xades:CertificateValues");
                require(crls.getLength() + ocsps.getLength() > 0, "no xades:RevocationValues");
                info.append(" lt=").append(ltChecks(ev, signer, tst));
            }
            info.append(" refs=").append(dataRefs.size());
        }
        return "xades signatures=" + sigs.getLength() + info;
    }

    static Element first(Element root, String ns, String local) {
        NodeList l = root.getElementsByTagNameNS(ns, local);
        return l.getLength() == 0 ? null : (Element) l.item(0);
    }

    /** sha256(exc-c14n(el)), by signing a throw-away reference to el's Id and reading its DigestValue. */
    static byte[] digestOfElement(XMLSignatureFactory fac, Document doc, Element el) throws Exception {
        String id = el.getAttribute("Id");
        require(!id.isEmpty(), "ds:SignatureValue has no Id to time-stamp by");
        Reference ref = fac.newReference("#" + id, fac.newDigestMethod(DigestMethod.SHA256, null),
                Collections.singletonList(fac.newTransform(CanonicalizationMethod.EXCLUSIVE, (TransformParameterSpec) null)), null, null);
        SignedInfo si = fac.newSignedInfo(fac.newCanonicalizationMethod(CanonicalizationMethod.EXCLUSIVE, (C14NMethodParameterSpec) null),
                fac.newSignatureMethod("http://www.w3.org/2000/09/xmldsig#hmac-sha1", null), Collections.singletonList(ref));
        Element holder = doc.createElementNS("urn:sealcheck", "sealcheck:tmp");
        doc.getDocumentElement().appendChild(holder);
        try {
            Key k = new javax.crypto.spec.SecretKeySpec(new byte[32], "HmacSHA1");
            fac.newXMLSignature(si, null).sign(new DOMSignContext(k, holder));
            return ref.getDigestValue();
        } finally {
            doc.getDocumentElement().removeChild(holder);
        }
    }
}
