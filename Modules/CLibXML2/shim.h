/* libxml2 headers for Swift, plus accessors for C globals that Swift 6 deems not concurrency-safe. */
#ifndef VIGIL_CLIBXML2_SHIM_H
#define VIGIL_CLIBXML2_SHIM_H
/* Debian builds libxml2 with ICU, and <libxml/encoding.h> then includes ICU's headers, which clash
   with the copy of ICU inside Foundation in any module that imports both. Vigil uses no ICU-specific
   libxml2 API, so the ICU part of the headers is left out. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

/* xmlFree is a global function pointer; calling it through this accessor keeps Swift's checker quiet
   without @preconcurrency on the whole module. */
static inline void vigil_xmlFree(void *ptr) { xmlFree(ptr); }
#endif
