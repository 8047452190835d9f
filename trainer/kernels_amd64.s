#include "textflag.h"

// func gramTileAVX2(a, b *float64, stride, n int, out *[48]float64)
// The products are added to out. Twelve accumulators Y0-Y11 (Y(c*3+r) holds a_r·b_c), the three a
// columns in Y12-Y14, one b column at a time in Y15.
TEXT ·gramTileAVX2(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), BX
	MOVQ stride+16(FP), CX
	SHLQ $3, CX
	MOVQ n+24(FP), R10
	LEAQ (AX)(CX*1), DX
	LEAQ (DX)(CX*1), SI
	LEAQ (BX)(CX*1), DI
	LEAQ (DI)(CX*1), R8
	LEAQ (R8)(CX*1), R11
	MOVQ    out+32(FP), R12
	VMOVUPD 0(R12), Y0
	VMOVUPD 32(R12), Y1
	VMOVUPD 64(R12), Y2
	VMOVUPD 96(R12), Y3
	VMOVUPD 128(R12), Y4
	VMOVUPD 160(R12), Y5
	VMOVUPD 192(R12), Y6
	VMOVUPD 224(R12), Y7
	VMOVUPD 256(R12), Y8
	VMOVUPD 288(R12), Y9
	VMOVUPD 320(R12), Y10
	VMOVUPD 352(R12), Y11
	XORQ R9, R9

loop:
	VMOVUPD (AX)(R9*8), Y12
	VMOVUPD (DX)(R9*8), Y13
	VMOVUPD (SI)(R9*8), Y14
	VMOVUPD (BX)(R9*8), Y15
	VFMADD231PD Y15, Y12, Y0
	VFMADD231PD Y15, Y13, Y1
	VFMADD231PD Y15, Y14, Y2
	VMOVUPD (DI)(R9*8), Y15
	VFMADD231PD Y15, Y12, Y3
	VFMADD231PD Y15, Y13, Y4
	VFMADD231PD Y15, Y14, Y5
	VMOVUPD (R8)(R9*8), Y15
	VFMADD231PD Y15, Y12, Y6
	VFMADD231PD Y15, Y13, Y7
	VFMADD231PD Y15, Y14, Y8
	VMOVUPD (R11)(R9*8), Y15
	VFMADD231PD Y15, Y12, Y9
	VFMADD231PD Y15, Y13, Y10
	VFMADD231PD Y15, Y14, Y11
	ADDQ $4, R9
	CMPQ R9, R10
	JLT  loop

	VMOVUPD Y0, 0(R12)
	VMOVUPD Y1, 32(R12)
	VMOVUPD Y2, 64(R12)
	VMOVUPD Y3, 96(R12)
	VMOVUPD Y4, 128(R12)
	VMOVUPD Y5, 160(R12)
	VMOVUPD Y6, 192(R12)
	VMOVUPD Y7, 224(R12)
	VMOVUPD Y8, 256(R12)
	VMOVUPD Y9, 288(R12)
	VMOVUPD Y10, 320(R12)
	VMOVUPD Y11, 352(R12)
	VZEROUPPER
	RET

// func shiftAVX2(dst, src *float64, n int, s float64)
// dst[i] = src[i] - s for n a multiple of 8, prefetching the source 2 KiB
// ahead (the same column's next block of rows).
TEXT ·shiftAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD s+24(FP), Y2
	XORQ         AX, AX

shiftloop:
	PREFETCHT0 2048(SI)(AX*8)
	VMOVUPD    (SI)(AX*8), Y0
	VMOVUPD    32(SI)(AX*8), Y1
	VSUBPD     Y2, Y0, Y0
	VSUBPD     Y2, Y1, Y1
	VMOVUPD    Y0, (DI)(AX*8)
	VMOVUPD    Y1, 32(DI)(AX*8)
	ADDQ       $8, AX
	CMPQ       AX, CX
	JLT        shiftloop
	VZEROUPPER
	RET

// func dotcAVX2(x, r *float64, n int, m float64) float64
// Σ (x_i - m)·r_i, n a multiple of 16 and at least 16: sixteen lanes of
// fused multiply-adds in Y0-Y3, then (Y0+Y1)+(Y2+Y3) lane by lane, then
// (l0+l2)+(l1+l3).
TEXT ·dotcAVX2(SB), NOSPLIT, $0-40
	MOVQ         x+0(FP), SI
	MOVQ         r+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD m+24(FP), Y8
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1
	VXORPD       Y2, Y2, Y2
	VXORPD       Y3, Y3, Y3
	XORQ         AX, AX

dotcloop:
	VMOVUPD     (SI)(AX*8), Y4
	VMOVUPD     32(SI)(AX*8), Y5
	VMOVUPD     64(SI)(AX*8), Y6
	VMOVUPD     96(SI)(AX*8), Y7
	VSUBPD      Y8, Y4, Y4
	VSUBPD      Y8, Y5, Y5
	VSUBPD      Y8, Y6, Y6
	VSUBPD      Y8, Y7, Y7
	VFMADD231PD (DI)(AX*8), Y4, Y0
	VFMADD231PD 32(DI)(AX*8), Y5, Y1
	VFMADD231PD 64(DI)(AX*8), Y6, Y2
	VFMADD231PD 96(DI)(AX*8), Y7, Y3
	ADDQ        $16, AX
	CMPQ        AX, CX
	JLT         dotcloop

	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	MOVSD        X0, ret+32(FP)
	VZEROUPPER
	RET

// func axpycAVX2(r, x *float64, n int, m, a float64)
// r_i = a·(x_i - m) + r_i by fused multiply-adds, n a multiple of 16.
TEXT ·axpycAVX2(SB), NOSPLIT, $0-40
	MOVQ         r+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD m+24(FP), Y8
	VBROADCASTSD a+32(FP), Y9
	XORQ         AX, AX

axpycloop:
	VMOVUPD     (SI)(AX*8), Y4
	VMOVUPD     32(SI)(AX*8), Y5
	VMOVUPD     64(SI)(AX*8), Y6
	VMOVUPD     96(SI)(AX*8), Y7
	VSUBPD      Y8, Y4, Y4
	VSUBPD      Y8, Y5, Y5
	VSUBPD      Y8, Y6, Y6
	VSUBPD      Y8, Y7, Y7
	VMOVUPD     (DI)(AX*8), Y0
	VMOVUPD     32(DI)(AX*8), Y1
	VMOVUPD     64(DI)(AX*8), Y2
	VMOVUPD     96(DI)(AX*8), Y3
	VFMADD231PD Y4, Y9, Y0
	VFMADD231PD Y5, Y9, Y1
	VFMADD231PD Y6, Y9, Y2
	VFMADD231PD Y7, Y9, Y3
	VMOVUPD     Y0, (DI)(AX*8)
	VMOVUPD     Y1, 32(DI)(AX*8)
	VMOVUPD     Y2, 64(DI)(AX*8)
	VMOVUPD     Y3, 96(DI)(AX*8)
	ADDQ        $16, AX
	CMPQ        AX, CX
	JLT         axpycloop
	VZEROUPPER
	RET

// func prefetch3(a, b, c *float64)
// Asks for the cache lines at a, b and c; loads nothing, waits for nothing.
TEXT ·prefetch3(SB), NOSPLIT, $0-24
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), BX
	MOVQ c+16(FP), CX
	PREFETCHT0 (AX)
	PREFETCHT0 (BX)
	PREFETCHT0 (CX)
	RET
