/** Certificates and certificate stores (CZMQ / pyzmq file format). */
export { Certificate, type CertificateInit, type CertificateSaveOptions, INSECURE_SECRET_FILE_WARNING } from "./certificate.js"
export { CertificateError } from "./certificate-error.js"
export { type CertificateFields, formatCertificateText, parseCertificateText, SECRET_FILE_SUFFIX } from "./certificate-format.js"
export { type CertificateChange, CertificateStore, type CertificateStoreOptions, type SkippedFile } from "./store.js"
export { formatZpl, formatZplValue, isZplName, parseZpl, type ZplDocument, type ZplNode, type ZplWritable } from "./zpl.js"
