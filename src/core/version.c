/* SPDX-License-Identifier: MIT */
#include <kaos/kaos.h>

const char *
kaos_version(void)
{
	return KAOS_VERSION_STRING;
}
