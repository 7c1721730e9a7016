/*
 * bcryptprimitives.c: a stand-in bcryptprimitives.dll for Wine 8.0, which
 * lacks it, so make dist-check can run the Windows build (scripts/
 * dist-check.sh builds it with x86_64-w64-mingw32-gcc into the Wine
 * prefix's system32). Go 1.24 and later take their random bytes from its
 * ProcessPrng, which every Windows 10 and 11 has; here it is
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. Never
 * shipped: only the test prefix gets it.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
