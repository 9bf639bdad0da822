/* libxml2 headers for Swift, plus accessors for C globals that Swift 6 deems not concurrency-safe. */
#ifndef VIGIL_CLIBXML2_SHIM_H
#define VIGIL_CLIBXML2_SHIM_H
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
