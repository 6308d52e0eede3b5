// glibc's malloc extensions, which Swift's Glibc module does not import.
#ifndef CMALLOC_SHIM_H
#define CMALLOC_SHIM_H
#include <malloc.h>
#endif
