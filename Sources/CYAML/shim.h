#ifndef SCRM_CYAML_SHIM_H
#define SCRM_CYAML_SHIM_H
#include <yaml.h>
#endif
