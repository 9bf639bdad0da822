/* libvirt headers for Swift, plus the few helpers Swift cannot express directly:
   - C globals that Swift 6 deems not concurrency-safe get static inline accessors;
   - event callbacks need the VIR_DOMAIN_EVENT_CALLBACK cast to the generic callback type;
   - libvirt prints every error to stderr by default; Vigil reports them as typed Swift errors. */
#ifndef VIGIL_CLIBVIRT_SHIM_H
#define VIGIL_CLIBVIRT_SHIM_H
#include <stddef.h>
#include <stdlib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static inline virConnectAuthPtr vigil_virConnectAuthPtrDefault(void) { return virConnectAuthPtrDefault; }

static void vigil_ignore_error(void *userData, virErrorPtr error) { (void)userData; (void)error; }

/* Stops libvirt from printing errors to stderr; they are still kept as the thread's last error. */
static inline void vigil_silence_default_error_printer(void) { virSetErrorFunc(NULL, vigil_ignore_error); }

/* Registers a lifecycle callback (VIR_DOMAIN_EVENT_ID_LIFECYCLE) for all domains when dom is NULL. */
static inline int vigil_register_lifecycle_callback(virConnectPtr conn, virDomainPtr dom,
                                                    virConnectDomainEventCallback cb,
                                                    void *opaque, virFreeCallback freecb) {
    return virConnectDomainEventRegisterAny(conn, dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                            VIR_DOMAIN_EVENT_CALLBACK(cb), opaque, freecb);
}

/* Registers a reboot callback (VIR_DOMAIN_EVENT_ID_REBOOT). */
static inline int vigil_register_reboot_callback(virConnectPtr conn, virDomainPtr dom,
                                                 virConnectDomainEventGenericCallback cb,
                                                 void *opaque, virFreeCallback freecb) {
    return virConnectDomainEventRegisterAny(conn, dom, VIR_DOMAIN_EVENT_ID_REBOOT,
                                            VIR_DOMAIN_EVENT_CALLBACK(cb), opaque, freecb);
}
#endif
